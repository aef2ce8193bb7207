// The resource graph of the OpenStack lab under mocks: ordering, placement, secrets, and which
// resources a config change touches.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseLab } from "../../model/parse.js";
import { buildLab, parseStack } from "../../stacks/index.js";
import { BAD_CONFIGS } from "../helpers/badConfigs.js";
import { stackLab } from "../helpers/labs.js";
import {
  FAKE_CREDENTIALS,
  installMocks,
  isSecretEnvelope,
  promiseOf,
  type Registration,
  recorded,
  recordingOptions,
  registrations,
  reset,
  secretLeaks,
  settle,
  unwrap,
} from "../helpers/mocks.js";

beforeAll(() => installMocks());
beforeEach(reset);

async function build(raw: Record<string, any>) {
  const outputs = buildLab(parseLab(raw), "dev", {}, recordingOptions);
  await settle();
  return outputs;
}

const byName = (name: string) => {
  const found = registrations.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}; have ${registrations.map((r) => r.name).join(", ")}`);
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

const runOf = (step: string) => recorded.find((r) => r.name === `${step}-run`)!;

describe("OpenStack lab resource graph", () => {
  it("names every resource uniquely, prefixed with its parent's name", async () => {
    await build(stackLab("dev"));
    const keys = registrations.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of registrations) {
      const parent = registrations.find((p) => p.resource === r.opts.parent);
      if (parent) expect(r.name.startsWith(`${parent.name}-`)).toBe(true);
      else expect(r.name).toBe("dev");
    }
  });

  it("orders VM → readiness → base setup → services → checks on every node", async () => {
    const lab = parseLab(stackLab("dev"));
    await build(stackLab("dev"));
    for (const node of lab.nodes.map((n) => n.name)) {
      expect(reaches(byName(`dev-${node}-ready`), `dev-${node}-machine`)).toBe(true);
      expect(reaches(byName(`dev-${node}-base`), `dev-${node}-ready`)).toBe(true);
      const services = registrations.filter(
        (r) => r.type === "labstack:lab:NodeStep" && r.name.startsWith(`dev-${node}-`) && !r.name.includes("-check-") && r.name !== `dev-${node}-base`,
      );
      expect(services.length).toBeGreaterThan(0);
      for (const s of services) expect(reaches(s, `dev-${node}-base`), s.name).toBe(true);
      for (const c of registrations.filter((r) => r.name.startsWith(`dev-${node}-check-`) && r.type === "labstack:lab:NodeStep")) {
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

  it("puts services on the nodes the config says, reached through their SSH forward", async () => {
    await build(stackLab("dev"));
    const port = (step: string) => unwrap(runOf(step).inputs.connection).port;
    expect(port("dev-controller-mariadb")).toBe(8222);
    expect(unwrap(runOf("dev-controller-mariadb").inputs.stdin)).toContain("export BIND_ADDRESS='192.168.1.11'");
    expect(port("dev-compute2-chrony-client")).toBe(8201);
    expect(registrations.some((r) => r.name === "dev-compute1-mariadb")).toBe(false);

    reset();
    const moved = stackLab("dev");
    moved.services.mariadb.node = "compute1";
    await build(moved);
    expect(port("dev-compute1-mariadb")).toBe(8200);
    expect(unwrap(runOf("dev-compute1-mariadb").inputs.stdin)).toContain("export BIND_ADDRESS='192.168.1.21'");
    expect(registrations.some((r) => r.name === "dev-controller-mariadb")).toBe(false);
    // Every node's login check now goes to compute1.
    expect(unwrap(runOf("dev-compute2-check-mariadb-login").inputs.stdin)).toContain("export DB_HOST='compute1'");
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
    expect(unwrap(mariadb.inputs.stdin)).toContain("export ROOT_PASSWORD='mariadbSecret1'");
    expect(unwrap(recorded.find((r) => r.name === "dev-credentials-file-run")!.inputs.environment).RABBITMQ_PASSWORD).toBe("rabbitSecret2");
    // Steps without secrets stay readable in previews.
    expect(isSecretEnvelope(runOf("dev-controller-memcached").inputs.stdin)).toBe(false);
    // ...and what a command holding secrets prints on either stream stays secret and unlogged.
    const handling = recorded.filter((r) => r.type.startsWith("command:") && (isSecretEnvelope(r.inputs.stdin) || r.name === "dev-credentials-generate"));
    expect(handling.map((r) => r.name)).toEqual(expect.arrayContaining(["dev-credentials-generate", "dev-controller-mariadb-run"]));
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

  it("changing compute2's memory changes only compute2's resources", async () => {
    await build(stackLab("dev"));
    const before = new Map(recorded.map((r) => [r.name, r.id]));
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
  });

  it("a changed package set re-bakes the image: its triggers change, so it is replaced", async () => {
    await build(stackLab("dev"));
    const image = () => unwrap(runOf("dev-image").inputs);
    const before = image();
    expect(before.environment.PACKAGES).toContain("rabbitmq-server");
    expect(before.triggers).toEqual([before.environment]);
    reset();
    const smaller = stackLab("dev");
    delete smaller.services.rabbitmq;
    await build(smaller);
    expect(image().environment.PACKAGES).not.toContain("rabbitmq-server");
    expect(image().triggers).not.toEqual(before.triggers);
    // The image comes after the APT cache it fetches through, which comes after the networks.
    expect(reaches(byName("dev-image"), "dev-apt-cache")).toBe(true);
    expect(reaches(byName("dev-apt-cache"), "dev-net-management")).toBe(true);
  });

  it.each(["dev", "net-lab1", "minikube", "openstack-lab"])(
    "%s: everything on the host comes after the preflight, so destroy removes the state folder last",
    async (stack) => {
      buildLab(parseStack(stackLab(stack)), stack, {}, recordingOptions);
      await settle();
      const hostSide = registrations.filter((r) => /^labstack:(lab:HostService|hypervisor:VirtualMachine|qemu:Network|virtualbox:Network)$/.test(r.type));
      const others = hostSide.filter((r) => r.name !== `${stack}-preflight`);
      expect(others.length).toBeGreaterThan(2);
      for (const r of others) expect(reaches(r, `${stack}-preflight`), r.name).toBe(true);
      expect(unwrap(runOf(`${stack}-preflight`).inputs).environment.STATE_DIR).toMatch(new RegExp(`/${stack}$`));
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
    expect(outputs.nodes).toEqual([
      { name: "controller", managementIp: "192.168.1.11", ssh: { host: "127.0.0.1", port: 8222, user: "stack" } },
      { name: "compute1", managementIp: "192.168.1.21", ssh: { host: "127.0.0.1", port: 8200, user: "stack" } },
      { name: "compute2", managementIp: "192.168.1.22", ssh: { host: "127.0.0.1", port: 8201, user: "stack" } },
    ]);
  });

  it("uses the VirtualBox driver for openstack-lab: host-only interfaces and VBoxManage VMs", async () => {
    await build(stackLab("openstack-lab"));
    const vm = recorded.find((r) => r.name === "dev-controller-machine-vm")!;
    expect(vm.inputs.create).toContain("virtualbox/vm.sh");
    const env = unwrap(vm.inputs.environment);
    expect(env.NICS).toMatch(
      /^kind=nat mac=52:54:00:\S+ port=8222\nkind=hostonly mac=\S+ to=dev-net-management-hostonlyif%20done promisc=allow-all\nkind=hostonly mac=\S+ to=dev-net-guest-hostonlyif%20done promisc=allow-all$/,
    );
    expect(env.MEMORY_MIB).toBe("6144");
    expect(env.NAME).toBe("labstack-dev-controller");
    expect(recorded.find((r) => r.name === "dev-net-management-hostonlyif")!.inputs.environment).toEqual({
      DEVICE: "",
      HOST_ADDRESS: "192.168.1.1",
      NETMASK: "255.255.255.0",
      STATE_FILE: expect.stringMatching(/\/virtualbox\/management\.hostonlyif$/),
    });
    expect(unwrap(recorded.find((r) => r.name === "dev-host-setup-run")!.inputs.environment).VBOX_NETWORKS).toBe("192.168.1.0/24 172.16.0.0/24");
  });
});

describe("entry point", () => {
  beforeEach(() => vi.resetModules());

  it.each(BAD_CONFIGS)("fails on %s before any resource is registered", async (_, make, expected) => {
    const bad = make();
    pulumi.runtime.setAllConfig(bad === undefined ? {} : { "labstack:lab": JSON.stringify(bad) });
    await expect(import("../../index.js")).rejects.toThrow(expected);
    await settle();
    expect(recorded).toEqual([]);
  });

  it("builds the stack and exports its outputs from good config", async () => {
    pulumi.runtime.setAllConfig({ "labstack:lab": JSON.stringify(stackLab("dev")) });
    const program = (await import("../../index.js")).default as Record<string, any>;
    await settle();
    expect(await promiseOf(pulumi.output(program.ssh_config))).toContain("Host controller");
    expect(await pulumi.isSecret(program.credentials)).toBe(true);
    // An OpenStack lab exports what it has, and nothing of the minikube lab's or remote hosts'.
    expect(Object.keys(program).sort()).toEqual(["checks", "credentials", "description", "inventory", "next", "nodes", "ssh_config", "topology"]);
    expect(recorded.filter((r) => r.type === "command:local:Command" && r.name.endsWith("-machine-vm"))).toHaveLength(3);
  });
});
