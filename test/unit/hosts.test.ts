// Lab hosts beyond the local machine, under mocks: the DigitalOcean droplet (key, firewall, gate,
// every host command waiting for it and going with it, secrets kept secret) and an SSH host
// (scripts on stdin through sudo, nodes through the host as a jump host).
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseLab } from "../../model/parse.js";
import { buildLab } from "../../stacks/index.js";
import { stackLab } from "../helpers/labs.js";
import {
  DROPLET_ADDRESS,
  FAKE_CREDENTIALS,
  FAKE_HOST_KEY,
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

const facts = { hostPrivateKey: true, digitaloceanToken: true };
const credentials = JSON.parse(FAKE_CREDENTIALS);

async function build(raw: Record<string, any>, stack: string, hostPrivateKey?: pulumi.Input<string>) {
  const outputs = buildLab(parseLab(raw, facts), stack, { hostPrivateKey }, recordingOptions);
  await settle();
  return outputs;
}

const registration = (name: string) => registrations.find((r) => r.name === name)!;
const hostCommands = () => recorded.filter((r) => r.type === "command:remote:Command" && /bash -s (up|down)$/.test(r.inputs.create ?? ""));

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
    const hostKey = JSON.parse(FAKE_HOST_KEY).publicKey;
    const remote = recorded.filter((r) => r.type === "command:remote:Command" && unwrap(r.inputs.connection).host === DROPLET_ADDRESS);
    expect(remote.length).toBeGreaterThan(0);
    for (const command of remote) expect(unwrap(command.inputs.connection).hostKey, command.name).toBe(hostKey);
    const node = recorded.find((r) => r.name === "openstack-do-controller-ready")!;
    expect(unwrap(node.inputs.connection).proxy.hostKey).toBe(hostKey);
    // The key pair is generated once, never logged, and secret.
    const generate = registrations.find((r) => r.name === "openstack-do-host-host-key")!;
    expect(generate.opts).toMatchObject({ additionalSecretOutputs: ["stdout", "stderr"] });
    expect(unwrap(recorded.find((r) => r.name === "openstack-do-host-host-key")!.inputs).logging).toBe("none");
  });

  it("uses the lab's generated key for the droplet, the gate and every host command", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const key = recorded.find((r) => r.type === "digitalocean:index/sshKey:SshKey")!;
    expect(key.inputs.publicKey).toBe(credentials.sshPublicKey);
    expect(recorded.find((r) => r.type === "digitalocean:index/droplet:Droplet")!.inputs.sshKeys).toEqual(["fp:lab-key"]);
    const remote = recorded.filter((r) => r.type === "command:remote:Command" && unwrap(r.inputs.connection).host === DROPLET_ADDRESS);
    // The gate, the preflight, prepare, VirtualBox's host setup (networks.conf), credentials file,
    // APT cache, image, 2 networks, 3 VMs, and each node's wait for its SSH banner on the host.
    expect(remote.length).toBe(15);
    for (const command of remote) {
      expect(isSecretEnvelope(command.inputs.connection.privateKey) || isSecretEnvelope(command.inputs.connection)).toBe(true);
      expect(unwrap(command.inputs.connection)).toMatchObject({ user: "root", privateKey: credentials.sshPrivateKey });
    }
    // Nodes are reached through the droplet with the same key.
    const node = recorded.find((r) => r.name === "openstack-do-controller-ready")!;
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
    expect(recorded.find((r) => r.name === "openstack-do-host-ready")!.inputs.create).toContain("cloud-init status --wait");
    const commands = hostCommands();
    expect(commands.map((c) => c.name).sort()).toEqual(
      [
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
      ].sort(),
    );
    for (const command of commands) {
      const reg = registration(command.name);
      expect(reg.opts.deletedWith, command.name).toBe(droplet);
      expect(waitsFor(reg, gate.resource!), command.name).toBe(true);
    }
  });

  it("refuses a droplet without nested virtualization before building on it", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    const preflight = recorded.find((r) => r.name === "openstack-do-preflight-run")!;
    const stdin = unwrap(preflight.inputs.stdin) as string;
    expect(stdin).toContain("export MEMORY_MIB='14336'");
    expect(stdin).toContain("export HYPERVISOR='virtualbox'");
    expect(stdin).toContain("no vmx/svm CPU flag");
    const prepare = registration("openstack-do-prepare");
    expect(waitsFor(prepare, registration("openstack-do-preflight").resource!)).toBe(true);
  });

  it("keeps every generated secret inside secret envelopes", async () => {
    await build(stackLab("openstack-do"), "openstack-do");
    expect(secretLeaks([credentials.mariadbRootPassword, credentials.rabbitmqPassword, "privateKeySecret6", "hostPrivateKeySecret8"])).toEqual([]);
    expect(isSecretEnvelope(recorded.find((r) => r.name === "openstack-do-credentials-file-run")!.inputs.stdin)).toBe(true);
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
    expect(await promiseOf(pulumi.output(outputs.inventory!))).toContain(`-o ProxyJump=root@${DROPLET_ADDRESS}:22'`);
  });
});

describe("an existing SSH host as the lab host", () => {
  beforeAll(() => installMocks("dev"));
  beforeEach(reset);

  const sshLab = (user: string) => ({ ...stackLab("dev"), host: { kind: "ssh", address: "198.51.100.4", port: 2222, user } });

  it("runs host scripts from stdin through sudo, and reaches nodes through the host", async () => {
    await build(sshLab("lab"), "dev", pulumi.secret("host-key-secret"));
    const commands = hostCommands();
    // Preflight, prepare, credentials file, APT cache, image, two bridges, three VMs, three SSH waits.
    expect(commands.length).toBe(13);
    for (const c of commands) {
      expect(c.inputs.create).toBe("sudo -n bash -s up");
      expect(c.inputs.delete).toBe("sudo -n bash -s down");
      expect(unwrap(c.inputs.connection)).toMatchObject({ host: "198.51.100.4", port: 2222, user: "lab", privateKey: "host-key-secret" });
    }
    const vm = recorded.find((r) => r.name === "dev-controller-machine-vm")!;
    // The VM script travels with the sibling it calls, and its state lives system-wide on the host.
    expect(unwrap(vm.inputs.stdin)).toContain('> "$dir/qemu/accel.sh"');
    expect(unwrap(vm.inputs.stdin)).toContain("export VM_DIR='/var/lib/labstack/dev/vms/controller'");
    const ready = recorded.find((r) => r.name === "dev-compute2-ready")!;
    expect(unwrap(ready.inputs.connection)).toMatchObject({
      host: "127.0.0.1",
      port: 8201,
      proxy: { host: "198.51.100.4", port: 2222, user: "lab", privateKey: "host-key-secret" },
    });
  });

  it("checks the host key the config gives, on the host and when jumping through it to nodes", async () => {
    const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnownHostKey root@lab";
    await build({ ...sshLab("lab"), host: { ...sshLab("lab").host, hostKey } }, "dev", pulumi.secret("host-key-secret"));
    for (const c of hostCommands()) expect(unwrap(c.inputs.connection).hostKey, c.name).toBe(hostKey);
    expect(unwrap(recorded.find((r) => r.name === "dev-compute2-ready")!.inputs.connection).proxy.hostKey).toBe(hostKey);
  });

  it("runs as root without sudo", async () => {
    await build(sshLab("root"), "dev", pulumi.secret("host-key-secret"));
    expect(new Set(hostCommands().map((c) => c.inputs.create))).toEqual(new Set(["bash -s up"]));
  });
});

describe("entry point with a remote host", () => {
  beforeAll(() => installMocks("dev"));
  beforeEach(() => {
    reset();
    vi.resetModules();
  });

  it("fails before any resource when an ssh host has no private key", async () => {
    pulumi.runtime.setAllConfig({ "labstack:lab": JSON.stringify({ ...stackLab("dev"), host: { kind: "ssh", address: "198.51.100.4" } }) });
    await expect(import("../../index.js")).rejects.toThrow("labstack:hostPrivateKey: is required for an ssh lab host");
    await settle();
    expect(recorded).toEqual([]);
  });

  it("fails before any resource when a droplet has no token or too little memory", async () => {
    const saved = process.env.DIGITALOCEAN_TOKEN;
    delete process.env.DIGITALOCEAN_TOKEN;
    try {
      const lab = stackLab("openstack-do");
      lab.host.size = "s-4vcpu-8gb";
      pulumi.runtime.setAllConfig({ "labstack:lab": JSON.stringify(lab) });
      const error = import("../../index.js");
      await expect(error).rejects.toThrow("digitalocean:token: is required for a digitalocean lab host");
      await expect(error).rejects.toThrow("labstack:lab.nodes: the nodes need 14336 MiB of memory but a s-4vcpu-8gb droplet has 8192 MiB");
      await settle();
      expect(recorded).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.DIGITALOCEAN_TOKEN = saved;
    }
  });
});
