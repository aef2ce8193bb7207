// Lab hosts beyond the local machine, under mocks: the DigitalOcean droplet (its size checked
// against the API's sizes before it exists, key, firewall, gate, every host command waiting for it
// and going with it, secrets kept secret) and an SSH host
// (scripts' bundles on stdin through sudo, nodes through the host as a jump host), and where the
// lab's provider reads lab objects back on them (Health targets).
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { generatorProgram, HOST_KEY_SECRETS } from "../../../../plan/secrets.js";
import { buildLab, parseStack } from "../../../../stacks/index.js";
import { stackLab } from "../../../helpers/labs.js";
import {
  DROPLET_ADDRESS,
  FAKE_CREDENTIALS,
  FAKE_HOST_KEY,
  fakeSecret,
  GET_SIZES,
  HEALTH,
  installMocks,
  invoked,
  isSecretEnvelope,
  promiseOf,
  type Registration,
  readBundle,
  recorded,
  recordingOptions,
  registrations,
  reset,
  secretLeaks,
  settle,
  unwrap,
} from "../../../helpers/mocks.js";

const facts = { hostPrivateKey: true, digitaloceanToken: true };
const credentials = JSON.parse(FAKE_CREDENTIALS);
const hostKeyPair = JSON.parse(FAKE_HOST_KEY);

async function build(raw: Record<string, any>, stack: string, hostPrivateKey?: pulumi.Input<string>) {
  const outputs = buildLab(parseStack(raw, facts), { stack, hostPrivateKey }, recordingOptions);
  await settle();
  return outputs;
}

const registration = (name: string) => registrations.find((r) => r.name === name)!;
const record = (name: string) => {
  const found = recorded.find((r) => r.name === name);
  if (!found) throw new Error(`no recorded resource ${name}`);
  return found;
};
/** Host scripts: their bundle on stdin, `bash -s up` (through `sudo -n` unless root; a node's
 * steps run through plain `sudo`, as root is the node's own). */
const hostCommands = () => recorded.filter((r) => r.type === "command:remote:Command" && /^(sudo -n )?bash -s up$/.test(r.inputs.create ?? ""));

/** Whether `from` waits for `target`, through dependsOn or its ancestors' dependsOn. */
function waitsFor(from: Registration | undefined, target: pulumi.Resource): boolean {
  if (from === undefined) return false;
  const deps = from.opts.dependsOn;
  const list = (Array.isArray(deps) ? deps : deps ? [deps] : []) as pulumi.Resource[];
  if (list.includes(target)) return true;
  return waitsFor(
    registrations.find((p) => p.resource === from.opts.parent),
    target,
  );
}

describe("DigitalOcean droplet as the lab host", () => {
  beforeAll(() => installMocks("openstack-do"));
  beforeEach(reset);

  it("reads the droplet's size from the API's sizes and creates the droplet with the checked size only", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const sizes = invoked.filter((i) => i.token === GET_SIZES);
    expect(sizes).toHaveLength(1);
    const droplet = recorded.findIndex((r) => r.type === "digitalocean:index/droplet:Droplet");
    // The sizes were read before the droplet was registered, and its size is the checked one.
    expect(droplet).toBeGreaterThanOrEqual(sizes[0].after);
    expect(recorded[droplet].inputs.size).toBe("s-8vcpu-16gb");
  });

  it("refuses a size the region does not offer, or too small by the API's numbers, by its key, and registers no droplet", async () => {
    for (const [host, said] of [
      [{ region: "ams3" }, "labstack:lab.host.size: s-8vcpu-16gb is not offered in ams3 (it is in fra1, nyc3); no size in ams3 fits the lab"],
      // The slug has no memory in it for the model to check; the API's sizes have.
      [
        { size: "s-4vcpu-8gb", memoryMiB: 65536 },
        "labstack:lab.host.size: s-4vcpu-8gb has 8192 MiB of memory, but the nodes need 14336 MiB and the droplet itself 1024 MiB",
      ],
    ] as const) {
      reset();
      const raw = stackLab("openstack-do");
      const rejected: unknown[] = [];
      const listener = (e: unknown) => rejected.push(e);
      process.on("unhandledRejection", listener);
      try {
        await build({ ...raw, host: { ...raw.host, ...host } }, "openstack-do");
        for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
      } finally {
        process.off("unhandledRejection", listener);
      }
      expect(invoked.filter((i) => i.token === GET_SIZES)).toHaveLength(1);
      expect(recorded.filter((r) => r.type === "digitalocean:index/droplet:Droplet")).toEqual([]);
      // Nothing that stands on the droplet either: no firewall, no command on it.
      expect(recorded.filter((r) => r.type === "digitalocean:index/firewall:Firewall" || unwrap(r.inputs.connection)?.host === DROPLET_ADDRESS)).toEqual([]);
      expect(rejected.length).toBeGreaterThan(0);
      for (const e of rejected) expect(String(e)).toContain(said);
    }
  });

  it("admits SSH only from the configured networks", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const firewall = recorded.find((r) => r.type === "digitalocean:index/firewall:Firewall")!;
    expect(firewall.inputs.inboundRules).toEqual([{ protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.7/32"] }]);
    const droplet = recorded.find((r) => r.type === "digitalocean:index/droplet:Droplet")!;
    expect(firewall.inputs.dropletIds).toHaveLength(1);
    expect(droplet.inputs).toMatchObject({ region: "fra1", size: "s-8vcpu-16gb", image: "ubuntu-24-04-x64", tags: ["labstack-openstack-do"] });
    // The user data carries the droplet's private host key: it is a secret.
    expect(isSecretEnvelope(droplet.inputs.userData)).toBe(true);
    expect(unwrap(droplet.inputs.userData)).toContain("  - virtualbox\n");
    expect(unwrap(droplet.inputs.userData)).toContain("  - apt-cacher-ng\n");
    expect(unwrap(droplet.inputs.userData)).toContain("hostPrivateKeySecret8");
  });

  it("checks the droplet's host key, which the lab made and handed over, on every connection", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const hostKey = hostKeyPair.publicKey;
    const remote = recorded.filter((r) => r.type === "command:remote:Command" && unwrap(r.inputs.connection).host === DROPLET_ADDRESS);
    expect(remote.length).toBeGreaterThan(0);
    for (const command of remote) expect(unwrap(command.inputs.connection).hostKey, command.name).toBe(hostKey);
    const node = record("openstack-do-controller-ready");
    expect(unwrap(node.inputs.connection).proxy.hostKey).toBe(hostKey);
    // The key pair is generated once, by Node, never logged, and secret.
    const generate = registration("openstack-do-host-host-key");
    expect(generate.opts).toMatchObject({ additionalSecretOutputs: ["stdout", "stderr"] });
    expect((generate.opts as pulumi.CustomResourceOptions).ignoreChanges).toEqual(expect.arrayContaining(["create", "interpreter"]));
    expect(unwrap(record("openstack-do-host-host-key").inputs)).toMatchObject({
      create: generatorProgram(HOST_KEY_SECRETS),
      interpreter: ["node", "-e"],
      logging: "none",
      triggers: [0],
    });
  });

  it("uses the lab's generated key for the droplet, the gate and every host command", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const key = recorded.find((r) => r.type === "digitalocean:index/sshKey:SshKey")!;
    expect(key.inputs.publicKey).toBe(credentials.sshPublicKey);
    expect(recorded.find((r) => r.type === "digitalocean:index/droplet:Droplet")!.inputs.sshKeys).toEqual(["fp:lab-key"]);
    const remote = recorded.filter((r) => r.type === "command:remote:Command" && unwrap(r.inputs.connection).host === DROPLET_ADDRESS);
    // The gate, the preflight, prepare, VirtualBox's host setup (networks.conf), credentials file,
    // APT cache, image, 2 networks, 3 VMs, and each node's wait for its SSH banner on the host.
    expect(remote.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        "openstack-do-host-ready",
        "openstack-do-preflight-run",
        "openstack-do-prepare-run",
        "openstack-do-host-setup-run",
        "openstack-do-credentials-file-run",
        "openstack-do-apt-cache-run",
        "openstack-do-image-run",
        "openstack-do-net-management-hostonlyif",
        "openstack-do-net-guest-hostonlyif",
        ...["controller", "compute1", "compute2"].flatMap((n) => [`openstack-do-${n}-machine-vm`, `openstack-do-${n}-ssh`]),
      ]),
    );
    for (const command of remote) {
      expect(isSecretEnvelope(command.inputs.connection.privateKey) || isSecretEnvelope(command.inputs.connection)).toBe(true);
      expect(unwrap(command.inputs.connection)).toMatchObject({ user: "root", privateKey: credentials.sshPrivateKey });
    }
    // Nodes are reached through the droplet with the same key.
    const node = record("openstack-do-controller-ready");
    expect(unwrap(node.inputs.connection)).toMatchObject({
      host: "127.0.0.1",
      port: 8222,
      proxy: { host: DROPLET_ADDRESS, user: "root", privateKey: credentials.sshPrivateKey },
    });
  });

  it("makes every host command wait for the readiness gate and go with the droplet", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const droplet = registrations.find((r) => r.type === "digitalocean:index/droplet:Droplet")!.resource!;
    const gate = registration("openstack-do-host-ready");
    expect(gate.opts.deletedWith).toBe(droplet);
    expect(record("openstack-do-host-ready").inputs.create).toContain("cloud-init status --wait");
    const commands = hostCommands();
    expect(commands.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "openstack-do-apt-cache-run",
        "openstack-do-controller-machine-vm",
        "openstack-do-compute1-machine-vm",
        "openstack-do-compute2-machine-vm",
        "openstack-do-credentials-file-run",
        "openstack-do-image-run",
        "openstack-do-net-guest-hostonlyif",
        "openstack-do-net-management-hostonlyif",
        "openstack-do-preflight-run",
        "openstack-do-prepare-run",
        "openstack-do-host-setup-run",
        "openstack-do-controller-ssh",
        "openstack-do-compute1-ssh",
        "openstack-do-compute2-ssh",
      ]),
    );
    for (const command of commands) {
      const reg = registration(command.name);
      expect(reg.opts.deletedWith, command.name).toBe(droplet);
      expect(waitsFor(reg, gate.resource!), command.name).toBe(true);
      // Root on the droplet: no sudo; the bundle comes on stdin.
      expect(command.inputs).toMatchObject({ create: "bash -s up", delete: "bash -s down", update: "bash -s up" });
    }
  });

  it("reads the droplet's objects back over SSH with the droplet's host key, and its nodes' services through it", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const healths = recorded.filter((r) => r.type === HEALTH);
    expect(healths.map((h) => h.name)).toEqual(
      expect.arrayContaining([
        "openstack-do-controller-machine-vm-health",
        "openstack-do-net-management-hostonlyif-health",
        "openstack-do-apt-cache-run-health",
        "openstack-do-controller-mariadb-health",
      ]),
    );
    const onHost = { kind: "ssh", host: DROPLET_ADDRESS, port: 22, user: "root", privateKey: credentials.sshPrivateKey, hostKey: hostKeyPair.publicKey };
    for (const health of healths) {
      // The target holds the lab's private key: a secret.
      expect(isSecretEnvelope(health.inputs.target), health.name).toBe(true);
      const target = unwrap(health.inputs.target);
      if (health.name.includes("-machine-") || health.name.includes("-net-") || health.name.includes("-run-")) {
        expect(target, health.name).toEqual({ ...onHost, sudo: false });
      } else {
        // A node's service: its SSH forward on the droplet's loopback, through the droplet.
        expect(target, health.name).toMatchObject({ kind: "ssh", host: "127.0.0.1", user: "stack", sudo: true, via: { ...onHost, sudo: false } });
      }
    }
    expect(unwrap(record("openstack-do-controller-mariadb-health").inputs.target).port).toBe(8222);
  });

  it("refuses a droplet without nested virtualization before building on it", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const preflight = readBundle(unwrap(record("openstack-do-preflight-run").inputs.stdin));
    expect(preflight.params.MEMORY_MIB).toBe("14336");
    expect(preflight.params.HYPERVISOR).toBe("virtualbox");
    expect(preflight.params.HOST_KIND).toBe("digitalocean");
    // VirtualBox's own checks travel with the preflight to the droplet.
    expect(preflight.params.HOST_CHECKS).toBe("virtualbox/host-checks.sh");
    expect(preflight.files["virtualbox/host-checks.sh"]).toContain("no vmx/svm CPU flag");
    const prepare = registration("openstack-do-prepare");
    expect(waitsFor(prepare, registration("openstack-do-preflight").resource!)).toBe(true);
  });

  it("keeps every generated secret inside secret envelopes", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    expect(
      secretLeaks([
        credentials.mariadbRootPassword,
        credentials.rabbitmqPassword,
        "privateKeySecret6",
        "hostPrivateKeySecret8",
        fakeSecret("hostKeyPrivateKey"),
      ]),
    ).toEqual([]);
    expect(isSecretEnvelope(record("openstack-do-credentials-file-run").inputs.stdin)).toBe(true);
    expect(readBundle(unwrap(record("openstack-do-credentials-file-run").inputs.stdin)).params.SSH_PRIVATE_KEY).toBe(credentials.sshPrivateKey);
  });

  it("exports the droplet's SSH command, tunnels to nodes and services, and a jump-host ssh_config", async () => {
    const outputs = await build(stackLab("openstack-do"), "openstack-do");
    const host = (await promiseOf(outputs.host as pulumi.Output<any>)) as { address: string; ssh: string; tunnels: Record<string, string> };
    expect(host.address).toBe(DROPLET_ADDRESS);
    expect(host.ssh).toBe(`ssh -i ~/.ssh/labstack-openstack-do -p 22 root@${DROPLET_ADDRESS}`);
    expect(host.tunnels.controller).toBe(`ssh -N -L 8222:127.0.0.1:8222 -i ~/.ssh/labstack-openstack-do -p 22 root@${DROPLET_ADDRESS}`);
    expect(host.tunnels.mariadb).toContain("-L 3306:192.168.1.11:3306");
    const sshConfig = await promiseOf(pulumi.output(outputs.ssh_config));
    expect(sshConfig).toContain(`Host openstack-do-host\n  HostName ${DROPLET_ADDRESS}\n  Port 22\n  User root\n  IdentityFile ~/.ssh/labstack-openstack-do`);
    expect(sshConfig).toContain(
      "Host compute1\n  HostName 127.0.0.1\n  Port 8200\n  User stack\n  IdentityFile ~/.ssh/labstack-openstack-do\n  IdentitiesOnly yes\n  ProxyJump openstack-do-host",
    );
    // Through the jump host, the node's forward on the droplet's loopback is checked against the
    // nodes' known_hosts, kept on the laptop beside the key (the known_hosts output).
    expect(sshConfig).toContain("  ProxyJump openstack-do-host\n  StrictHostKeyChecking yes\n  UserKnownHostsFile ~/.ssh/labstack-openstack-do.known_hosts\n");
    expect(await promiseOf(pulumi.output(outputs.known_hosts!))).toContain("[127.0.0.1]:8200 ssh-ed25519 ");
    expect(await promiseOf(pulumi.output(outputs.inventory!))).toContain(
      `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=~/.ssh/labstack-openstack-do.known_hosts -o ProxyJump=root@${DROPLET_ADDRESS}:22'`,
    );
  });
});

describe("an existing SSH host as the lab host", () => {
  beforeAll(() => installMocks("dev"));
  beforeEach(reset);

  const sshLab = (user: string) => ({ ...stackLab("dev"), host: { kind: "ssh", address: "198.51.100.4", port: 2222, user } });

  it("runs host scripts' bundles from stdin through sudo, and reaches nodes through the host", async () => {
    await build(sshLab("lab"), "dev", pulumi.secret("host-key-secret"));
    const commands = hostCommands();
    // Preflight, prepare, credentials file, APT cache, image, two bridges, three VMs, three SSH waits.
    expect(commands.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "dev-preflight-run",
        "dev-prepare-run",
        "dev-credentials-file-run",
        "dev-apt-cache-run",
        "dev-image-run",
        "dev-net-management-bridge",
        "dev-net-guest-bridge",
        ...["controller", "compute1", "compute2"].flatMap((n) => [`dev-${n}-machine-vm`, `dev-${n}-ssh`]),
      ]),
    );
    for (const c of commands) {
      expect(c.inputs.create).toBe("sudo -n bash -s up");
      expect(c.inputs.delete).toBe("sudo -n bash -s down");
      expect(c.inputs.update).toBe("sudo -n bash -s up");
      expect(unwrap(c.inputs.connection)).toMatchObject({ host: "198.51.100.4", port: 2222, user: "lab", privateKey: "host-key-secret" });
      // Nothing travels on the command line or in the SSH environment: the bundle carries it all.
      expect(c.inputs, c.name).not.toHaveProperty("environment");
      expect(readBundle(unwrap(c.inputs.stdin)).files).toHaveProperty(["lib/common.sh"]);
    }
    const vm = readBundle(unwrap(record("dev-controller-machine-vm").inputs.stdin));
    // The VM script travels with the sibling it calls, and its state lives system-wide on the host.
    expect(vm.script).toBe("qemu/vm.sh");
    expect(Object.keys(vm.files)).toContain("qemu/accel.sh");
    expect(vm.params.VM_DIR).toBe("/var/lib/labstack/dev/vms/controller");
    const ready = record("dev-compute2-ready");
    expect(unwrap(ready.inputs.connection)).toMatchObject({
      host: "127.0.0.1",
      port: 8201,
      proxy: { host: "198.51.100.4", port: 2222, user: "lab", privateKey: "host-key-secret" },
    });
    // After the node's host key step, through the same jump host, the node's own key is checked.
    const base = unwrap(record("dev-compute2-base-run").inputs.connection);
    expect(base).toMatchObject({ host: "127.0.0.1", port: 8201, proxy: unwrap(ready.inputs.connection).proxy });
    expect(base.hostKey).toMatch(/^ssh-ed25519 \S+ labstack compute2$/);
    expect(unwrap(record("dev-compute2-host-key-run").inputs.connection)).not.toHaveProperty("hostKey");
  });

  it("reads the host's objects back over SSH through sudo, and nodes' services through the host", async () => {
    await build(sshLab("lab"), "dev", pulumi.secret("host-key-secret"));
    const onHost = { kind: "ssh", host: "198.51.100.4", port: 2222, user: "lab", privateKey: "host-key-secret", sudo: true };
    const vm = record("dev-compute1-machine-vm-health");
    expect(isSecretEnvelope(vm.inputs.target)).toBe(true);
    expect(unwrap(vm.inputs.target)).toMatchObject(onHost);
    expect(readBundle(unwrap(vm.inputs.program)).params).toEqual({ VM_DIR: "/var/lib/labstack/dev/vms/compute1", NAME: "compute1" });
    expect(unwrap(record("dev-net-guest-bridge-health").inputs.target)).toMatchObject(onHost);
    expect(unwrap(record("dev-controller-memcached-health").inputs.target)).toMatchObject({
      kind: "ssh",
      host: "127.0.0.1",
      port: 8222,
      user: "stack",
      privateKey: credentials.sshPrivateKey,
      hostKey: expect.stringMatching(/^ssh-ed25519 \S+ labstack controller$/),
      sudo: true,
      via: onHost,
    });
    expect(secretLeaks(["host-key-secret", "privateKeySecret6"])).toEqual([]);
  });

  it("checks the host key the config gives, on the host and when jumping through it to nodes", async () => {
    const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnownHostKey root@lab";
    await build({ ...sshLab("lab"), host: { ...sshLab("lab").host, hostKey } }, "dev", pulumi.secret("host-key-secret"));
    for (const c of hostCommands()) expect(unwrap(c.inputs.connection).hostKey, c.name).toBe(hostKey);
    expect(unwrap(record("dev-compute2-ready").inputs.connection).proxy.hostKey).toBe(hostKey);
    // The provider's reads check it too.
    for (const h of recorded.filter((r) => r.type === HEALTH)) {
      const target = unwrap(h.inputs.target);
      expect((target.via ?? target).hostKey, h.name).toBe(hostKey);
    }
  });

  it("runs as root without sudo", async () => {
    await build(sshLab("root"), "dev", pulumi.secret("host-key-secret"));
    expect(new Set(hostCommands().map((c) => c.inputs.create))).toEqual(new Set(["bash -s up"]));
    expect(unwrap(record("dev-compute1-machine-vm-health").inputs.target).sudo).toBe(false);
  });
});

describe("entry point with a remote host", () => {
  beforeAll(() => installMocks("dev"));
  beforeEach(() => {
    reset();
    vi.resetModules();
  });

  it("fails before any resource when an ssh host has no private key", async () => {
    // The stack's own config over its template: the dev lab, on an SSH host.
    pulumi.runtime.setAllConfig({ "labstack:lab": JSON.stringify({ host: { kind: "ssh", address: "198.51.100.4" } }) });
    await expect(import("../../../../index.js")).rejects.toThrow("labstack:hostPrivateKey: is required for an ssh lab host");
    await settle();
    expect(recorded).toEqual([]);
  });

  it("fails before any resource when a droplet has no token or too little memory", async () => {
    await installMocks("openstack-do");
    const saved = process.env.DIGITALOCEAN_TOKEN;
    delete process.env.DIGITALOCEAN_TOKEN;
    try {
      pulumi.runtime.setAllConfig({ "labstack:lab": JSON.stringify({ host: { size: "s-4vcpu-8gb" } }) });
      const error = import("../../../../index.js");
      await expect(error).rejects.toThrow("digitalocean:token: is required for a digitalocean lab host");
      await expect(error).rejects.toThrow("labstack:lab.nodes: the nodes need 14336 MiB of memory but a s-4vcpu-8gb droplet has 8192 MiB");
      await settle();
      expect(recorded).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.DIGITALOCEAN_TOKEN = saved;
      await installMocks("dev");
    }
  });
});
