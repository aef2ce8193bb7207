// The resource graph of the OpenStack lab under mocks: ordering, placement, secrets, which
// resources a config change touches (their inputs and their identity, the engine's
// replacementTrigger), the Health resources that read lab objects back, and inputs that are the
// same wherever Pulumi runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hypervisorOf } from "../../../../components/hypervisor/registry.js";
import { digest, type NodeStep } from "../../../../components/lab/NodeStep.js";
import type { ProvisionedNode } from "../../../../components/lab/ProvisionedNode.js";
import { createServicesLab } from "../../../../components/lab/services.js";
import { type NodeHostKey, nodeHostKeySecrets } from "../../../../plan/hostKeys.js";
import { planLab } from "../../../../plan/lab.js";
import type { NodeSummary } from "../../../../plan/outputs.js";
import { provisioning } from "../../../../plan/scripts.js";
import { generatorProgram, LEGACY_LAB_SECRETS, type SecretSpec } from "../../../../plan/secrets.js";
import { buildLab, parseStack, registerLabKind } from "../../../../stacks/index.js";
import { openstack } from "../../../../stacks/openstack/index.js";
import type { OpenStackLabConfig } from "../../../../stacks/openstack/model.js";
import { planOpenStack } from "../../../../stacks/openstack/plan.js";
import { BAD_CONFIGS } from "../../../helpers/badConfigs.js";
import { labPlan, ROOT, stackLab } from "../../../helpers/labs.js";
import {
  FAKE_CREDENTIALS,
  fakeGeneratorOutput,
  fakeSecret,
  HEALTH,
  identities,
  installMocks,
  isSecretEnvelope,
  promiseOf,
  type Registration,
  readBundle,
  recorded,
  recordingOptions,
  registrations,
  reset,
  secretLeaks,
  setRepairs,
  settle,
  unwrap,
} from "../../../helpers/mocks.js";

beforeAll(() => installMocks());
beforeEach(reset);

async function build(raw: Record<string, any>, stack = "dev") {
  const outputs = buildLab(parseStack(raw), { stack }, recordingOptions);
  await settle();
  return outputs;
}

const byName = (name: string) => {
  const found = registrations.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}; have ${registrations.map((r) => r.name).join(", ")}`);
  return found;
};
const record = (name: string) => {
  const found = recorded.find((r) => r.name === name);
  if (!found) throw new Error(`no recorded resource ${name}`);
  return found;
};

function dependencies(reg: Registration): Registration[] {
  const deps = reg.opts.dependsOn;
  const list = (Array.isArray(deps) ? deps : deps ? [deps] : []) as pulumi.Resource[];
  return list.map((d) => registrations.find((r) => r.resource === d)!).filter(Boolean);
}

/** Every registration reachable through dependsOn, and through the parents of those. */
function reaches(from: Registration, target: string): boolean {
  const seen = new Set<Registration>();
  const walk = (r: Registration): boolean => {
    if (seen.has(r)) return false;
    seen.add(r);
    if (r.name === target) return true;
    const parent = registrations.find((p) => p.resource === r.opts.parent);
    return dependencies(r).some(walk) || (parent !== undefined && walk(parent));
  };
  return dependencies(from).some(walk);
}

const runOf = (step: string) => record(`${step}-run`);
/** The parameters a command's bundle (its stdin) runs its script with. */
const paramsOf = (name: string) => readBundle(unwrap(record(name).inputs.stdin)).params;

describe("OpenStack lab resource graph", () => {
  it("names every resource uniquely, prefixed with its parent's name", async () => {
    await build(stackLab("dev"));
    const keys = registrations.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of registrations) {
      const parent = registrations.find((p) => p.resource === r.opts.parent);
      if (parent) expect(r.name.startsWith(`${parent.name}-`), r.name).toBe(true);
      else expect(r.name).toBe("dev");
    }
  });

  it("orders VM → readiness → host key → base setup → services → checks on every node", async () => {
    const lab = parseStack(stackLab("dev")) as OpenStackLabConfig;
    await build(stackLab("dev"));
    for (const node of lab.nodes.map((n) => n.name)) {
      expect(reaches(byName(`dev-${node}-ssh`), `dev-${node}-machine`)).toBe(true);
      expect(reaches(byName(`dev-${node}-ready`), `dev-${node}-ssh`)).toBe(true);
      expect(reaches(byName(`dev-${node}-host-key`), `dev-${node}-ready`)).toBe(true);
      expect(reaches(byName(`dev-${node}-base`), `dev-${node}-host-key`)).toBe(true);
      const services = registrations.filter(
        (r) =>
          r.type === "labstack:lab:NodeStep" &&
          r.name.startsWith(`dev-${node}-`) &&
          !r.name.includes("-check-") &&
          r.name !== `dev-${node}-base` &&
          r.name !== `dev-${node}-host-key`,
      );
      expect(services.length).toBeGreaterThan(0);
      for (const s of services) expect(reaches(s, `dev-${node}-base`), s.name).toBe(true);
      const checks = registrations.filter((r) => r.name.startsWith(`dev-${node}-check-`) && r.type === "labstack:lab:NodeStep");
      expect(checks.length).toBeGreaterThan(0);
      for (const c of checks) {
        expect(reaches(c, "dev-controller-mariadb"), c.name).toBe(true);
        expect(reaches(c, `dev-${node}-base`), c.name).toBe(true);
      }
    }
    // A compute's NTP client needs the controller's server first.
    expect(reaches(byName("dev-compute1-chrony-client"), "dev-controller-chrony-server")).toBe(true);
    // The VM waits for its networks, the image and the APT cache on the host.
    for (const host of ["dev-net-management", "dev-net-guest", "dev-image", "dev-apt-cache"]) {
      expect(reaches(byName("dev-compute2-machine"), host), host).toBe(true);
    }
  });

  it("reads back each VM, bridge, the APT cache, the image and each observed service through a Health made before it", async () => {
    await build(stackLab("dev"));
    const index = (name: string) => registrations.indexOf(byName(name));
    // Each Health is its object's sibling, registered before the command that carries its generation.
    const observed = {
      "dev-controller-machine-vm": { script: "qemu/vm.sh", params: { VM_DIR: "~/.local/share/labstack/dev/vms/controller", NAME: "controller" } },
      "dev-compute2-machine-vm": { script: "qemu/vm.sh", params: { VM_DIR: "~/.local/share/labstack/dev/vms/compute2", NAME: "compute2" } },
      "dev-net-management-bridge": { script: "host/bridge.sh", params: paramsOf("dev-net-management-bridge") },
      "dev-net-guest-bridge": { script: "host/bridge.sh", params: paramsOf("dev-net-guest-bridge") },
      "dev-apt-cache-run": { script: "host/apt-cache.sh", params: paramsOf("dev-apt-cache-run") },
      "dev-image-run": { script: "host/image.sh", params: paramsOf("dev-image-run") },
    };
    for (const [object, expected] of Object.entries(observed)) {
      const health = byName(`${object}-health`);
      expect(health.type).toBe(HEALTH);
      expect(index(`${object}-health`), object).toBeLessThan(index(object));
      expect(health.opts.parent).toBe(byName(object).opts.parent);
      const inputs = unwrap(record(`${object}-health`).inputs);
      expect(inputs.args).toEqual(["status"]);
      expect(inputs.state).toBe("ok");
      // The status program is the object's own script with the parameters it needs.
      expect(readBundle(inputs.program), object).toMatchObject(expected);
      // A local lab host is read where Pulumi runs; a target is kept secret whatever it holds.
      expect(inputs.target).toEqual({ kind: "local" });
      expect(isSecretEnvelope(record(`${object}-health`).inputs.target), object).toBe(true);
    }
    expect(observed["dev-net-guest-bridge"].params).toMatchObject({ KIND: "hostonly", HOST_CIDR: "172.16.0.1/24", OWNER: "labstack dev" });
    expect(registrations.filter((r) => r.type === HEALTH && r.name.endsWith("-machine-vm-health"))).toHaveLength(3);
    // What nothing reads back has no Health: the preflight, host preparation, the credentials file.
    for (const name of ["dev-preflight-run", "dev-prepare-run", "dev-credentials-file-run"]) {
      expect(
        registrations.some((r) => r.name === `${name}-health`),
        name,
      ).toBe(false);
    }
  });

  it("reads each service back on its node with the node's target, a secret, and the service's own status step", async () => {
    await build(stackLab("dev"));
    const credentials = JSON.parse(FAKE_CREDENTIALS);
    const services = { "dev-controller-mariadb": "mariadb", "dev-controller-chrony-server": "chrony", "dev-compute1-chrony-client": "chrony" };
    for (const [step, unit] of Object.entries(services)) {
      const health = record(`${step}-health`);
      expect(health.type).toBe(HEALTH);
      expect(registrations.indexOf(byName(`${step}-health`))).toBeLessThan(registrations.indexOf(byName(`${step}-run`)));
      expect(isSecretEnvelope(health.inputs.target), step).toBe(true);
      const port = unwrap(runOf(step).inputs.connection).port;
      expect(unwrap(health.inputs.target)).toEqual({
        kind: "ssh",
        host: "127.0.0.1",
        port,
        user: "stack",
        privateKey: credentials.sshPrivateKey,
        // The node's own host key, pinned: what else answers on its port is refused.
        hostKey: unwrap(runOf(step).inputs.connection).hostKey,
        sudo: true,
      });
      expect(unwrap(health.inputs.target).hostKey).toMatch(new RegExp(`^ssh-ed25519 \\S+ labstack ${step.split("-")[1]}$`));
      expect(readBundle(unwrap(health.inputs.program))).toMatchObject({ script: "node/units-active.sh", params: { UNITS: unit } });
    }
    // Checks and base setup are not read back.
    expect(registrations.some((r) => r.name === "dev-controller-base-health" || r.name === "dev-controller-check-hosts-health")).toBe(false);
  });

  it("carries a repair only into the repaired object's step: LABSTACK_REPAIR after a repair, never before", async () => {
    await build(stackLab("dev"));
    const vms = ["controller", "compute1", "compute2"].map((n) => `dev-${n}-machine-vm`);
    for (const vm of vms) expect(paramsOf(vm), vm).not.toHaveProperty("LABSTACK_REPAIR");
    expect(paramsOf("dev-net-guest-bridge")).not.toHaveProperty("LABSTACK_REPAIR");
    expect(paramsOf("dev-apt-cache-run")).not.toHaveProperty("LABSTACK_REPAIR");
    expect(unwrap(runOf("dev-controller-mariadb").inputs.stdin)).not.toContain("# labstack repair");
    const fresh = new Map(recorded.map((r) => [r.name, r.id]));
    const freshIdentities = await identities();

    reset();
    // What a refresh that found compute2's VM dead, the guest bridge gone, the APT cache stopped and
    // MariaDB stopped, then an `up`, leaves: their Health at generation 1.
    const repaired = ["dev-compute2-machine-vm-health", "dev-net-guest-bridge-health", "dev-apt-cache-run-health", "dev-controller-mariadb-health"];
    setRepairs((name) => (repaired.includes(name) ? 1 : 0));
    await build(stackLab("dev"));
    expect(paramsOf("dev-compute2-machine-vm").LABSTACK_REPAIR).toBe("1");
    for (const vm of vms.slice(0, 2)) expect(paramsOf(vm), vm).not.toHaveProperty("LABSTACK_REPAIR");
    expect(paramsOf("dev-net-guest-bridge").LABSTACK_REPAIR).toBe("1");
    expect(paramsOf("dev-net-management-bridge")).not.toHaveProperty("LABSTACK_REPAIR");
    expect(paramsOf("dev-apt-cache-run").LABSTACK_REPAIR).toBe("1");
    // The repaired VM boots again: its readiness gate waits for it again (and the SSH wait on the
    // host: the next test).
    expect(unwrap(record("dev-compute2-ready").inputs.create)).toMatch(/ # repair 1$/);
    expect(unwrap(record("dev-compute1-ready").inputs.create)).not.toContain("repair");
    // A node step's repair is a trailing comment of its stdin: an update that re-runs it.
    expect(unwrap(runOf("dev-controller-mariadb").inputs.stdin)).toMatch(/\n# labstack repair 1\n$/);
    expect(unwrap(runOf("dev-controller-memcached").inputs.stdin)).not.toContain("# labstack repair");
    // A repair changes the inputs of the repaired objects' own resources only (under mocks an id
    // follows the inputs, so compute2's steps, which carry its VM's id, show too)...
    const changed = recorded.filter((r) => fresh.get(r.name) !== r.id).map((r) => r.name);
    expect(changed).toEqual(expect.arrayContaining(["dev-compute2-machine-vm", "dev-net-guest-bridge", "dev-apt-cache-run", "dev-controller-mariadb-run"]));
    expect(
      changed.filter((n) => !n.startsWith("dev-compute2-") && !["dev-net-guest-bridge", "dev-apt-cache-run", "dev-controller-mariadb-run"].includes(n)),
    ).toEqual([]);
    // ...and never what they are: no identity changes, so `up` repairs in place and rebuilds nothing.
    const after = await identities();
    const rebuilt = [...after].filter(([name, identity]) => freshIdentities.get(name) !== identity && !name.startsWith("dev-compute2-")).map(([n]) => n);
    expect(rebuilt).toEqual([]);
    expect(after.get("dev-compute2-machine-vm")).toBe(freshIdentities.get("dev-compute2-machine-vm"));
  });

  // At 22a43ef components/lab/hostObject.ts overrode the `repair` its caller gave with its own
  // Health's generation (none here), so this SSH wait lost its VM's repair.
  it("waits on the lab host for a repaired VM's SSH again (LABSTACK_REPAIR in its SSH wait)", async () => {
    setRepairs((name) => (name === "dev-compute2-machine-vm-health" ? 1 : 0));
    await build(stackLab("dev"));
    expect(paramsOf("dev-compute2-ssh").LABSTACK_REPAIR).toBe("1");
    expect(paramsOf("dev-compute1-ssh")).not.toHaveProperty("LABSTACK_REPAIR");
  });

  it("puts services on the nodes the config says, reached through their SSH forward", async () => {
    await build(stackLab("dev"));
    const port = (step: string) => unwrap(runOf(step).inputs.connection).port;
    expect(port("dev-controller-mariadb")).toBe(8222);
    expect(paramsOf("dev-controller-mariadb-run").BIND_ADDRESS).toBe("192.168.1.11");
    expect(port("dev-compute2-chrony-client")).toBe(8201);
    expect(registrations.some((r) => r.name === "dev-compute1-mariadb")).toBe(false);

    reset();
    const moved = stackLab("dev");
    moved.services.mariadb.node = "compute1";
    await build(moved);
    expect(port("dev-compute1-mariadb")).toBe(8200);
    expect(paramsOf("dev-compute1-mariadb-run").BIND_ADDRESS).toBe("192.168.1.21");
    expect(registrations.some((r) => r.name === "dev-controller-mariadb")).toBe(false);
    // Every node's login check now goes to compute1.
    expect(paramsOf("dev-compute2-check-mariadb-login-run").DB_HOST).toBe("compute1");
  });

  it("keeps every generated credential secret, in inputs and outputs", async () => {
    const outputs = await build(stackLab("dev"));
    expect(await pulumi.isSecret(outputs.credentials as pulumi.Output<unknown>)).toBe(true);
    expect((await promiseOf(outputs.credentials as pulumi.Output<unknown>)) as object).toEqual(JSON.parse(FAKE_CREDENTIALS));
    const secrets = Object.entries(JSON.parse(FAKE_CREDENTIALS) as Record<string, string>)
      .filter(([k]) => k !== "sshPublicKey")
      .map(([, v]) => v.split("\n")[1] ?? v);
    // Every resource's inputs: a secret may only appear inside a secret envelope.
    expect(secretLeaks(secrets)).toEqual([]);
    // ...and they do reach the places that need them, encrypted.
    const mariadb = runOf("dev-controller-mariadb");
    expect(isSecretEnvelope(mariadb.inputs.stdin)).toBe(true);
    expect(paramsOf("dev-controller-mariadb-run").ROOT_PASSWORD).toBe("mariadbSecret1");
    const file = runOf("dev-credentials-file");
    expect(isSecretEnvelope(file.inputs.stdin)).toBe(true);
    expect(paramsOf("dev-credentials-file-run").PASSWORDS.split("\n")).toContain("name=RABBITMQ_PASSWORD value=rabbitSecret2");
    // The file names its lab: another stack sharing the folder is refused, not given these values.
    expect(paramsOf("dev-credentials-file-run").LAB).toBe("dev");
    // Steps without secrets stay readable in previews.
    expect(isSecretEnvelope(runOf("dev-controller-memcached").inputs.stdin)).toBe(false);
    // ...and what a node step holding secrets prints on either stream stays secret and unlogged,
    // as what the generator prints.
    const handling = recorded.filter(
      (r) => (r.type === "command:remote:Command" && isSecretEnvelope(r.inputs.stdin)) || r.name.startsWith("dev-credentials-generate"),
    );
    expect(handling.map((r) => r.name)).toEqual(
      expect.arrayContaining(["dev-credentials-generate", "dev-controller-mariadb-run", "dev-controller-rabbitmq-run"]),
    );
    for (const r of handling) {
      expect({ name: r.name, logging: r.inputs.logging, secretOutputs: (byName(r.name).opts as pulumi.CustomResourceOptions).additionalSecretOutputs }).toEqual(
        {
          name: r.name,
          logging: "none",
          secretOutputs: expect.arrayContaining(["stdout", "stderr"]),
        },
      );
    }
  });

  it("generates the credentials with Node, once per rotation, keeping what an existing lab's generator made", async () => {
    await build(stackLab("dev"));
    const generate = record("dev-credentials-generate");
    expect(generate.type).toBe("command:local:Command");
    expect(unwrap(generate.inputs)).toMatchObject({ create: generatorProgram(LEGACY_LAB_SECRETS), interpreter: ["node", "-e"], triggers: [0] });
    expect((byName("dev-credentials-generate").opts as pulumi.CustomResourceOptions).ignoreChanges).toEqual(expect.arrayContaining(["create", "interpreter"]));
    // The kind asks for no secret of its own: one generator.
    expect(recorded.filter((r) => r.name.startsWith("dev-credentials-generate"))).toHaveLength(1);

    reset();
    const rotated = stackLab("dev");
    rotated.credentialsRotation = 1;
    await build(rotated);
    expect(unwrap(record("dev-credentials-generate").inputs.triggers)).toEqual([1]);
  });

  it("changing compute2's memory changes only compute2's resources, and rebuilds only compute2's", async () => {
    await build(stackLab("dev"));
    const before = new Map(recorded.map((r) => [r.name, r.id]));
    const identitiesBefore = await identities();
    reset();
    const changed = stackLab("dev");
    changed.nodes[2].memoryMiB = 1536;
    await build(changed);
    const after = new Map(recorded.map((r) => [r.name, r.id]));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const differing = [...after]
      .filter(([name, id]) => before.get(name) !== id)
      .map(([name]) => name)
      .sort();
    expect(differing).toContain("dev-compute2-machine-vm");
    expect(differing).toContain("dev-compute2-base-run");
    // The host's preflight re-checks the new memory total in place; nothing else moves.
    expect(differing.filter((n) => !n.startsWith("dev-compute2-"))).toEqual(["dev-preflight-run"]);
    expect(paramsOf("dev-preflight-run").MEMORY_MIB).toBe(String(2048 + 1024 + 1536));
    // What a resource is (the engine's replacementTrigger): compute2's VM, and the wait for its SSH
    // that follows its id; the preflight has none (it re-runs in place).
    const identitiesAfter = await identities();
    const rebuilt = [...identitiesAfter]
      .filter(([name, identity]) => identitiesBefore.get(name) !== identity)
      .map(([name]) => name)
      .sort();
    expect(rebuilt).toEqual(expect.arrayContaining(["dev-compute2-machine-vm", "dev-compute2-ssh"]));
    expect(rebuilt.filter((n) => !n.startsWith("dev-compute2-"))).toEqual([]);
    expect(JSON.parse(identitiesAfter.get("dev-compute2-machine-vm")!).MEMORY_MIB).toBe("1536");
    expect(identitiesAfter.get("dev-preflight-run")).toBeUndefined();
  });

  it("makes a host command's identity its replacementTrigger, and ignores the triggers labs made before recorded", async () => {
    await build(stackLab("dev"));
    const hostCommands = recorded.filter((r) => r.type === "command:local:Command" && r.inputs.create === "bash -s up");
    expect(hostCommands.length).toBeGreaterThan(10);
    for (const c of hostCommands) {
      const opts = byName(c.name).opts as pulumi.CustomResourceOptions;
      expect(opts.ignoreChanges, c.name).toContain("triggers");
      expect(c.inputs.triggers, c.name).toBeUndefined();
      expect(c.inputs, c.name).not.toHaveProperty("environment");
      expect(c.inputs).toMatchObject({ delete: "bash -s down", update: "bash -s up", addPreviousOutputInEnv: false });
    }
    // A VM is what its parameters say, in the plan's names for its image and networks: known in a
    // preview, before the image and the bridges exist.
    const identity = JSON.parse((await identities()).get("dev-controller-machine-vm")!);
    const params = paramsOf("dev-controller-machine-vm");
    expect(identity).toMatchObject({ VM_DIR: params.VM_DIR, MEMORY_MIB: params.MEMORY_MIB, USER_DATA: params.USER_DATA, BASE_IMAGE: "image" });
    expect(params.BASE_IMAGE).toBe("/cache/base.qcow2");
    expect(identity.from.image).toEqual(paramsOf("dev-image-run"));
    expect(Object.keys(identity.from.networks).sort()).toEqual(["guest", "management"]);
    // The credentials file is its folder; the APT cache its run folder.
    expect(JSON.parse((await identities()).get("dev-credentials-file-run")!)).toBe("~/.local/share/labstack/dev/credentials");
    expect(JSON.parse((await identities()).get("dev-apt-cache-run")!)).toBe("~/.local/share/labstack/dev/apt-cacher-ng");
  });

  it("a changed package set re-bakes the image: its replacementTrigger changes, so it is replaced", async () => {
    await build(stackLab("dev"));
    const image = () => paramsOf("dev-image-run");
    const before = image();
    const identityBefore = (await identities()).get("dev-image-run");
    expect(before.PACKAGES).toContain("rabbitmq-server");
    expect(JSON.parse(identityBefore!)).toEqual(before);
    reset();
    const smaller = stackLab("dev");
    delete smaller.services.rabbitmq;
    await build(smaller);
    expect(image().PACKAGES).not.toContain("rabbitmq-server");
    expect((await identities()).get("dev-image-run")).not.toEqual(identityBefore);
    // The image comes after the APT cache it fetches through, which comes after the networks.
    expect(reaches(byName("dev-image"), "dev-apt-cache")).toBe(true);
    expect(reaches(byName("dev-apt-cache"), "dev-net-management")).toBe(true);
  });

  it.each(["dev", "net-lab1", "minikube", "openstack-lab"])(
    "%s: everything on the host comes after the preflight, so destroy removes the state folder last",
    async (stack) => {
      await build(stackLab(stack), stack);
      const hostSide = registrations.filter((r) => /^labstack:(lab:HostService|hypervisor:VirtualMachine|qemu:Network|virtualbox:Network)$/.test(r.type));
      const others = hostSide.filter((r) => r.name !== `${stack}-preflight`);
      expect(others.length).toBeGreaterThan(2);
      for (const r of others) expect(reaches(r, `${stack}-preflight`), r.name).toBe(true);
      expect(paramsOf(`${stack}-preflight-run`).STATE_DIR).toMatch(new RegExp(`^~/.*/${stack}$`));
    },
  );

  it("exports inventory, ssh_config and topology for other tools", async () => {
    const outputs = await build(stackLab("dev"));
    const inventory = await promiseOf(pulumi.output(outputs.inventory));
    expect(inventory).toContain("[controller_nodes]\ncontroller mgmt_ip=192.168.1.11 ansible_host=127.0.0.1 ansible_port=8222");
    expect(inventory).toContain("compute2 mgmt_ip=192.168.1.22 ansible_host=127.0.0.1 ansible_port=8201");
    expect(inventory).not.toContain("ProxyJump");
    expect(await promiseOf(pulumi.output(outputs.ssh_config))).toContain("Host compute1\n  HostName 127.0.0.1\n  Port 8200\n  User stack");
    expect(outputs.host).toBeUndefined();
    expect(outputs.topology).toMatch(/^flowchart LR\n/);
    expect((outputs.nodes as NodeSummary[]).map(({ nics, ...rest }) => [rest, nics.map((n) => n.device)])).toEqual([
      [{ name: "controller", ip: "192.168.1.11", ssh: { host: "127.0.0.1", port: 8222, user: "stack" } }, ["enp0s3", "enp0s8", "enp0s9"]],
      [{ name: "compute1", ip: "192.168.1.21", ssh: { host: "127.0.0.1", port: 8200, user: "stack" } }, ["enp0s3", "enp0s8", "enp0s9"]],
      [{ name: "compute2", ip: "192.168.1.22", ssh: { host: "127.0.0.1", port: 8201, user: "stack" } }, ["enp0s3", "enp0s8", "enp0s9"]],
    ]);
  });

  it("uses the VirtualBox driver for openstack-lab: host-only interfaces and VBoxManage VMs", async () => {
    await build(stackLab("openstack-lab"));
    const vm = readBundle(unwrap(record("dev-controller-machine-vm").inputs.stdin));
    expect(vm.script).toBe("virtualbox/vm.sh");
    expect(vm.params.NICS).toMatch(
      /^kind=nat mac=52:54:00:\S+ port=8222\nkind=hostonly mac=\S+ to=dev-net-management-hostonlyif%20done promisc=allow-all\nkind=hostonly mac=\S+ to=dev-net-guest-hostonlyif%20done promisc=allow-all$/,
    );
    expect(vm.params.MEMORY_MIB).toBe("6144");
    expect(vm.params.NAME).toBe("labstack-dev-controller");
    const hostonly = readBundle(unwrap(record("dev-net-management-hostonlyif").inputs.stdin));
    expect(hostonly.script).toBe("virtualbox/network.sh");
    expect(hostonly.params).toEqual({
      DEVICE: "",
      HOST_ADDRESS: "192.168.1.1",
      NETMASK: "255.255.255.0",
      STATE_FILE: "~/.local/share/labstack/dev/virtualbox/management.hostonlyif",
    });
    // Read back by the same script: the interface is there with the lab's address.
    expect(readBundle(unwrap(record("dev-net-management-hostonlyif-health").inputs.program))).toMatchObject({
      script: "virtualbox/network.sh",
      params: hostonly.params,
    });
    expect(readBundle(unwrap(record("dev-controller-machine-vm-health").inputs.program)).params).toEqual({
      VM_DIR: "~/.local/share/labstack/dev/vms/controller",
      NAME: "labstack-dev-controller",
    });
    expect(paramsOf("dev-host-setup-run").VBOX_NETWORKS).toBe("192.168.1.0/24 172.16.0.0/24");
    // The preflight brings VirtualBox's own checks along.
    const preflight = readBundle(unwrap(runOf("dev-preflight").inputs.stdin));
    expect(preflight.params.HOST_CHECKS).toBe("virtualbox/host-checks.sh");
    expect(Object.keys(preflight.files)).toContain("virtualbox/host-checks.sh");
  });

  it("generates a secret a lab kind adds in a resource of its own, and keeps it secret where it goes", async () => {
    // A kind layered on Lab 1 with one more service, which needs a password of its own.
    const extra: SecretSpec = { name: "keystoneDbPassword", kind: "password", length: 24 };
    registerLabKind<OpenStackLabConfig>({
      // Everything else as Lab 1's kind.
      ...openstack,
      kind: "openstack-keystone-test",
      parse: (raw, context) =>
        ({ ...openstack.parse({ ...(raw as object), kind: "openstack" }, context), kind: "openstack-keystone-test" }) as unknown as OpenStackLabConfig,
      build(lab, { stack }, opts) {
        const hypervisor = hypervisorOf(lab.hypervisor.kind);
        const plan = planLab(lab, stack, hypervisor.spec);
        const services = planOpenStack(plan);
        const nodes = services.nodes.map((n) =>
          n.node !== "controller"
            ? n
            : {
                ...n,
                services: [
                  ...n.services,
                  { name: "keystone", step: { script: provisioning("openstack/mariadb.sh"), env: {}, secrets: { KEYSTONE_DB_PASSWORD: extra.name } } },
                ],
              },
        );
        const parent = new pulumi.ComponentResource("test:lab:Keystone", stack, {}, opts);
        const built = createServicesLab(stack, parent, { plan, hypervisor, services: { ...services, nodes, secrets: [extra] } });
        return { credentials: pulumi.secret(built.infra.credentials.values) };
      },
    });
    const outputs = await build({ ...stackLab("dev"), kind: "openstack-keystone-test" });
    const generate = record("dev-credentials-generate-keystoneDbPassword");
    expect(unwrap(generate.inputs)).toMatchObject({ create: generatorProgram([extra]), interpreter: ["node", "-e"] });
    expect((byName(generate.name).opts as pulumi.CustomResourceOptions).ignoreChanges).toEqual(expect.arrayContaining(["create", "interpreter"]));
    // The secrets every lab has keep their own generator: a kind that gains one keeps the rest.
    expect(unwrap(record("dev-credentials-generate").inputs.create)).toBe(generatorProgram(LEGACY_LAB_SECRETS));
    expect(await promiseOf(outputs.credentials as pulumi.Output<Record<string, string>>)).toEqual({
      ...JSON.parse(FAKE_CREDENTIALS),
      keystoneDbPassword: fakeSecret("keystoneDbPassword"),
    });
    expect(isSecretEnvelope(runOf("dev-controller-keystone").inputs.stdin)).toBe(true);
    expect(paramsOf("dev-controller-keystone-run").KEYSTONE_DB_PASSWORD).toBe(fakeSecret("keystoneDbPassword"));
    expect(secretLeaks([fakeSecret("keystoneDbPassword"), "mariadbSecret1", "privateKeySecret6"])).toEqual([]);
  });
});

describe("nodes' host keys", () => {
  /** The fake generator's host key pair of `node` (the comment names the node). */
  const keyOf = (node: string) => JSON.parse(fakeGeneratorOutput(generatorProgram(nodeHostKeySecrets(node)))) as NodeHostKey;

  it("generates each node's host key pair once per rotation, a secret resource of its own beside the credentials", async () => {
    await build(stackLab("dev"));
    for (const node of ["controller", "compute1", "compute2"]) {
      const generate = record(`dev-credentials-host-key-${node}`);
      expect(unwrap(generate.inputs)).toMatchObject({ create: generatorProgram(nodeHostKeySecrets(node)), interpreter: ["node", "-e"], triggers: [0] });
      const opts = byName(generate.name).opts as pulumi.CustomResourceOptions;
      expect(opts.ignoreChanges).toEqual(expect.arrayContaining(["create", "interpreter"]));
      expect(opts.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
      expect(generate.inputs.logging).toBe("none");
    }
    // The cloud-init seed, and so the VM, does not know of it: a lab made before keeps its VMs.
    expect(paramsOf("dev-controller-machine-vm").USER_DATA).not.toContain("hostKey");
    expect(paramsOf("dev-controller-machine-vm").USER_DATA).not.toContain(keyOf("controller").hostKeyPublicKey.split(" ")[1]);
    reset();
    const rotated = stackLab("dev");
    rotated.credentialsRotation = 1;
    await build(rotated);
    expect(unwrap(record("dev-credentials-host-key-compute1").inputs.triggers)).toEqual([1]);
  });

  it("installs the key first on each node, through the node's unpinned connection, with the pair in the secret bundle only", async () => {
    await build(stackLab("dev"));
    for (const node of ["controller", "compute1", "compute2"]) {
      const run = runOf(`dev-${node}-host-key`);
      const key = keyOf(node);
      expect(isSecretEnvelope(run.inputs.stdin)).toBe(true);
      expect(readBundle(unwrap(run.inputs.stdin))).toMatchObject({
        script: "node/host-key.sh",
        params: { HOST_KEY: key.hostKeyPrivateKey, HOST_PUBLIC_KEY: key.hostKeyPublicKey },
      });
      expect(run.inputs.create).toBe("sudo bash -s up");
      expect(run.inputs.logging).toBe("none");
      // Its own connection cannot check a key the node does not have yet; neither can the gate's.
      expect(unwrap(run.inputs.connection)).not.toHaveProperty("hostKey");
      expect(unwrap(record(`dev-${node}-ready`).inputs.connection)).not.toHaveProperty("hostKey");
      // Made again with its VM, never after a repair, and nothing reads it back.
      expect(unwrap(run.inputs.triggers)).toEqual([unwrap(runOf(`dev-${node}-base`).inputs.triggers)[0]]);
      expect(registrations.some((r) => r.name === `dev-${node}-host-key-health`)).toBe(false);
      expect(reaches(byName(`dev-${node}-host-key`), `dev-${node}-ready`)).toBe(true);
    }
    expect(secretLeaks(["controller", "compute1", "compute2"].map((n) => keyOf(n).hostKeyPrivateKey.split("\n")[1]))).toEqual([]);
  });

  it.each(["dev", "net-lab5"])(
    "%s: every other step on a node, and every Health of one, checks that node's host key and comes after its installation",
    async (stack) => {
      await build(stackLab(stack), stack);
      const plan = labPlan(stackLab(stack), stack);
      const byPort = new Map(plan.nodes.map((n) => [n.sshPort, n.name]));
      const nodeCommands = recorded.filter((r) => r.type === "command:remote:Command");
      let pinned = 0;
      for (const r of nodeCommands) {
        const connection = unwrap(r.inputs.connection);
        const node = byPort.get(connection.port)!;
        expect(node, r.name).toBeDefined();
        if (r.name === `${stack}-${node}-ready` || r.name === `${stack}-${node}-host-key-run`) continue;
        expect(connection.hostKey, r.name).toBe(keyOf(node).hostKeyPublicKey);
        // The step's component waits for the node's host key step.
        const step = registrations.find((p) => p.resource === byName(r.name).opts.parent)!;
        expect(reaches(step, `${stack}-${node}-host-key`), r.name).toBe(true);
        pinned++;
      }
      expect(pinned).toBeGreaterThan(plan.nodes.length);
      const healths = recorded.filter((r) => r.type === HEALTH && unwrap(r.inputs.target).host === "127.0.0.1");
      expect(healths.length).toBeGreaterThan(0);
      for (const h of healths) expect(unwrap(h.inputs.target).hostKey, h.name).toBe(keyOf(byPort.get(unwrap(h.inputs.target).port)!).hostKeyPublicKey);
    },
  );

  it("exports the public keys (not secret) and known_hosts, which the credentials file writes and ssh_config and the inventory check", async () => {
    const outputs = await build(stackLab("dev"));
    const keys = {
      controller: keyOf("controller").hostKeyPublicKey,
      compute1: keyOf("compute1").hostKeyPublicKey,
      compute2: keyOf("compute2").hostKeyPublicKey,
    };
    expect(await pulumi.isSecret(outputs.host_keys as pulumi.Output<unknown>)).toBe(false);
    expect(await promiseOf(pulumi.output(outputs.host_keys!))).toEqual(keys);
    const knownHosts = await promiseOf(pulumi.output(outputs.known_hosts!));
    expect(await pulumi.isSecret(outputs.known_hosts as pulumi.Output<unknown>)).toBe(false);
    expect(knownHosts).toBe([8222, 8200, 8201].map((port, i) => `[127.0.0.1]:${port} ${Object.values(keys)[i].split(" ").slice(0, 2).join(" ")}\n`).join(""));
    expect(paramsOf("dev-credentials-file-run").KNOWN_HOSTS).toBe(knownHosts);
    const sshConfig = await promiseOf(pulumi.output(outputs.ssh_config!));
    expect(sshConfig).toContain(
      "Host controller\n  HostName 127.0.0.1\n  Port 8222\n  User stack\n  IdentityFile ~/.local/share/labstack/dev/credentials/lab-key\n  IdentitiesOnly yes\n  StrictHostKeyChecking yes\n  UserKnownHostsFile ~/.local/share/labstack/dev/credentials/known_hosts\n",
    );
    expect(sshConfig).not.toContain("StrictHostKeyChecking no");
    expect(await promiseOf(pulumi.output(outputs.inventory!))).toContain(
      "ansible_ssh_common_args='-o StrictHostKeyChecking=yes -o UserKnownHostsFile=~/.local/share/labstack/dev/credentials/known_hosts'",
    );
    // The credentials output stays what it was: the host keys are no password of the lab's.
    expect(Object.keys((await promiseOf(outputs.credentials as pulumi.Output<object>)) as object).sort()).toEqual(
      Object.keys(JSON.parse(FAKE_CREDENTIALS)).sort(),
    );
  });

  it("makes the host key part of what the ready checkpoint is: a lab made before keys were pinned takes it again", async () => {
    await build({ ...stackLab("dev"), readyCheckpoint: true });
    const checkpoint = "dev-controller-checkpoint-ready";
    expect(reaches(byName(checkpoint), "dev-controller-check-hosts")).toBe(true);
    const identity = JSON.parse((await identities()).get(checkpoint)!);
    const identityOf = (name: string) => promiseOf((byName(name).resource as NodeStep).identity);
    const steps = registrations.filter(
      (r) => r.type === "labstack:lab:NodeStep" && r.name.startsWith("dev-controller-") && !r.name.includes("-check-") && r.name !== "dev-controller-host-key",
    );
    expect(steps[0].name).toBe("dev-controller-base");
    const stepIdentities = await Promise.all(steps.map((r) => identityOf(r.name)));
    const vmId = await promiseOf((byName("dev-controller").resource as ProvisionedNode).vmId);
    const made = async (values: string[]) => promiseOf(digest(values));
    expect(identity).toBe(await made([vmId, await identityOf("dev-controller-host-key"), ...stepIdentities]));
    // What it was before keys were pinned, which an existing lab recorded: it differs, so `ready` is taken again.
    expect(identity).not.toBe(await made([vmId, ...stepIdentities]));
  });
});

describe("inputs that do not depend on where Pulumi runs", () => {
  const saved = { home: process.env.HOME, cwd: process.cwd() };
  const places = [mkdtempSync(join(tmpdir(), "labstack-home-a-")), mkdtempSync(join(tmpdir(), "labstack-home-b-"))];
  afterAll(() => {
    process.env.HOME = saved.home;
    process.chdir(saved.cwd);
    for (const p of places) rmSync(p, { recursive: true, force: true });
  });

  /** Every recorded input and identity of `stack` built with this HOME and working folder. */
  async function snapshot(stack: string, place: string): Promise<Map<string, string>> {
    process.env.HOME = place;
    process.chdir(place);
    try {
      reset();
      await build(stackLab(stack), stack);
      const ids = await identities();
      return new Map(recorded.map((r) => [r.name, JSON.stringify({ inputs: unwrap(r.inputs), identity: ids.get(r.name) ?? null })]));
    } finally {
      process.env.HOME = saved.home;
      process.chdir(saved.cwd);
    }
  }

  it.each(["dev", "openstack-lab", "net-lab5"])("%s: the same inputs under two homes and working folders, naming neither nor the checkout", async (stack) => {
    const [a, b] = [await snapshot(stack, places[0]), await snapshot(stack, places[1])];
    expect(a.size).toBeGreaterThan(10);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, text] of a) expect(b.get(name), name).toBe(text);
    const everything = [...a.values()].join("\n");
    // The homes Pulumi ran with and the checkout appear nowhere (the scripts' own text may name
    // /root, the machine's home here, so the homes checked are the two the builds ran with).
    for (const path of [ROOT, ...places]) expect(everything).not.toContain(path);
  });
});

describe("entry point", () => {
  beforeEach(() => vi.resetModules());

  describe("a stack without a template: its own config is the whole lab", () => {
    beforeAll(() => installMocks("graph-no-template"));

    it.each(BAD_CONFIGS)("fails on %s before any resource is registered", async (_, make, expected) => {
      const bad = make();
      pulumi.runtime.setAllConfig(bad === undefined ? {} : { "labstack:lab": JSON.stringify(bad) });
      await expect(import("../../../../index.js")).rejects.toThrow(expected);
      await settle();
      expect(recorded).toEqual([]);
    });
  });

  describe("a stack with a template", () => {
    beforeAll(() => installMocks("dev"));

    it("builds the lab its Pulumi.<stack>.yaml describes and exports its outputs", async () => {
      pulumi.runtime.setAllConfig({});
      const program = (await import("../../../../index.js")).default as Record<string, any>;
      await settle();
      expect(await promiseOf(pulumi.output(program.ssh_config))).toContain("Host controller");
      expect(await pulumi.isSecret(program.credentials)).toBe(true);
      // An OpenStack lab exports what it has, and nothing of the minikube lab's or remote hosts'.
      expect(Object.keys(program).sort()).toEqual([
        "checks",
        "credentials",
        "description",
        "host_keys",
        "inventory",
        "known_hosts",
        "next",
        "nodes",
        "ssh_config",
        "topology",
      ]);
      expect(recorded.filter((r) => r.type === "command:local:Command" && r.name.endsWith("-machine-vm"))).toHaveLength(3);
    });

    it("lays the stack's own config over its template, key by key and list item by position", async () => {
      pulumi.runtime.setAllConfig({ "labstack:lab": JSON.stringify({ nodes: [null, null, { memoryMiB: 1536 }] }) });
      await import("../../../../index.js");
      await settle();
      const memory = (node: string) => readBundle(unwrap(record(`dev-${node}-machine-vm`).inputs.stdin)).params.MEMORY_MIB;
      expect([memory("controller"), memory("compute1"), memory("compute2")]).toEqual(["2048", "1024", "1536"]);
    });
  });
});
