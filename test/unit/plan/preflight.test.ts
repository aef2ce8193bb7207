// plan/preflight.ts: what host/preflight.sh is told of a lab: its memory, the hypervisor's needs
// and checks, and the ports, networks, files, devices and mirrors its config names, each with the
// key a message names. (host/preflight.sh itself runs in test/unit/provisioning/host/preflight.test.ts.)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostBridgeName } from "../../../plan/bridge.js";
import { labPreflight, preflightStep } from "../../../plan/preflight.js";
import { bundle } from "../../../plan/scripts.js";
import type { LabPlan } from "../../../plan/types.js";
import type { OpenStackLabConfig } from "../../../stacks/openstack/model.js";
import { openstackModel } from "../../../stacks/openstack/model.js";
import { shippedFiles } from "../../helpers/bundles.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

const onDroplet = (accel: string) =>
  labPlan(
    { ...stackLab("dev"), host: { kind: "digitalocean", region: "fra1", sshSourceCidrs: ["203.0.113.7/32"] }, hypervisor: { kind: "qemu", accel } },
    "dev",
  ) as LabPlan<OpenStackLabConfig>;

describe("a lab's preflight", () => {
  it("demands KVM on a droplet unless TCG is chosen, and names the lab's own VMs and bridges", () => {
    const plan = onDroplet("auto");
    const bridge = (net: string) => hostBridgeName("dev", plan.network(net));
    const step = labPreflight(plan, openstackModel.memoryMiB(plan.config));
    expect(step.script.path).toBe("host/preflight.sh");
    expect(step.environment).toEqual({
      MEMORY_MIB: "4096",
      HYPERVISOR: "qemu",
      REQUIRE_KVM: "1",
      HOST_CHECKS: "",
      HOST_KIND: "digitalocean",
      STATE_DIR: "/var/lib/labstack/dev",
      LAB: "dev",
      NEED_ROOT: "QEMU's taps and bridges, the APT cache's system service",
      SSH_PORTS: [
        "port=8222 key=labstack:lab.nodes[0].nics[0].sshPort vm=/var/lib/labstack/dev/vms/controller/qemu.pid",
        "port=8200 key=labstack:lab.nodes[1].nics[0].sshPort vm=/var/lib/labstack/dev/vms/compute1/qemu.pid",
        "port=8201 key=labstack:lab.nodes[2].nics[0].sshPort vm=/var/lib/labstack/dev/vms/compute2/qemu.pid",
      ].join("\n"),
      NETWORKS: [
        `key=labstack:lab.networks[1].cidr cidr=192.168.1.0/24 own=${bridge("management")}`,
        `key=labstack:lab.networks[2].cidr cidr=172.16.0.0/24 own=${bridge("guest")}`,
      ].join("\n"),
      FILES: "",
      DEVICES: "",
      MIRRORS: "key=labstack:lab.image.build.mirror distro=debian release=bookworm",
      MIRROR_PROXY: "",
    });
    expect(labPreflight(onDroplet("tcg"), 4096).environment.REQUIRE_KVM).toBe("0");
    expect(labPreflight(onDroplet("kvm"), 4096).environment.REQUIRE_KVM).toBe("1");
    // Locally `auto` may fall back to TCG on purpose.
    expect(labPreflight(labPlan(stackLab("dev")), 4096).environment.REQUIRE_KVM).toBe("0");
  });

  it("keeps ~/ in local paths for the host to expand", () => {
    const env = labPreflight(labPlan(stackLab("dev")), 4096).environment;
    expect(env.STATE_DIR).toBe("~/.local/share/labstack/dev");
    expect(env.SSH_PORTS.split("\n")[0]).toBe("port=8222 key=labstack:lab.nodes[0].nics[0].sshPort vm=~/.local/share/labstack/dev/vms/controller/qemu.pid");
  });

  it("names VirtualBox's VMs by their names and its host-only interfaces by the files that record them", () => {
    const plan = labPlan(stackLab("openstack-lab"), "openstack-lab");
    const env = labPreflight(plan, 14336).environment;
    expect(env).toMatchObject({ HYPERVISOR: "virtualbox", REQUIRE_KVM: "0", HOST_CHECKS: "virtualbox/host-checks.sh" });
    expect(env.NEED_ROOT).toBe("/etc/vbox/networks.conf, the APT cache's system service");
    expect(env.SSH_PORTS.split("\n")[1]).toBe("port=8200 key=labstack:lab.nodes[1].nics[0].sshPort vm=labstack-openstack-lab-compute1");
    expect(env.NETWORKS.split("\n")[0]).toBe(
      "key=labstack:lab.networks[1].cidr cidr=192.168.1.0/24 own=~/.local/share/labstack/openstack-lab/virtualbox/management.hostonlyif",
    );
  });

  it("checks the files, host interfaces and mirror the config names, by their keys, through the upstream proxy", () => {
    const raw = stackLab("net-lab7");
    raw.networks.push({ name: "lan", kind: "bridged", device: "br-lan" });
    raw.nodes[0].nics.push({ network: "lan" });
    raw.image = { path: "~/images/my disk.raw", kernel: "/srv/vmlinuz", initrd: "/srv/initrd.img" };
    raw.aptCache = { enabled: false, upstreamProxy: "http://proxy.example:3128" };
    const env = labPreflight(labPlan(raw, "net-lab7"), 1024).environment;
    expect(env.FILES).toBe(
      [
        "key=labstack:lab.image.path path=~/images/my%20disk.raw",
        "key=labstack:lab.image.kernel path=/srv/vmlinuz",
        "key=labstack:lab.image.initrd path=/srv/initrd.img",
      ].join("\n"),
    );
    expect(env.DEVICES).toBe("key=labstack:lab.networks[2].device device=br-lan");
    // The bridge the lab creates is its own, with its address: a network to check; the existing one is not.
    expect(env.NETWORKS).toBe("key=labstack:lab.networks[1].cidr cidr=192.168.50.0/24 own=myBridge");
    expect(env.NEED_ROOT).toBe("the lab's bridges, /etc/vbox/networks.conf");
    expect(env.MIRROR_PROXY).toBe("http://proxy.example:3128");
    const built = stackLab("dev");
    built.image.build.mirror = "http://mirror.example/debian";
    expect(labPreflight(labPlan(built), 4096).environment.MIRRORS).toBe(
      "key=labstack:lab.image.build.mirror distro=debian release=bookworm url=http://mirror.example/debian",
    );
  });

  it("ships a hypervisor's own host checks only with its labs, which then run there", () => {
    const vbox = labPreflight(labPlan(stackLab("openstack-lab"), "openstack-lab"), 1024);
    const qemu = labPreflight(labPlan(stackLab("dev")), 1024);
    expect(shippedFiles(bundle(vbox.script, vbox.environment))).toContain("virtualbox/host-checks.sh");
    expect(shippedFiles(bundle(qemu.script, qemu.environment))).not.toContain("virtualbox/host-checks.sh");
    // A made-up host with VT-x but no VirtualBox driver.
    const root = mkdtempSync(join(tmpdir(), "labstack-preflight-plan-"));
    for (const [file, text] of [
      ["proc/meminfo", "MemTotal: 16384000 kB\n"],
      ["proc/cpuinfo", "flags : fpu vmx\n"],
      ["proc/sys/kernel/osrelease", "6.8.0\n"],
    ]) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    const env = { HOST_ROOT: root, MEMORY_MIB: "1024", HYPERVISOR: "virtualbox", HOST_CHECKS: vbox.environment.HOST_CHECKS };
    const r = spawnSync("bash", ["-s", "up"], { input: bundle(vbox.script, env), encoding: "utf8", env: { PATH: process.env.PATH, HOME: root } });
    rmSync(root, { recursive: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no /dev/vboxdrv): sudo modprobe vboxdrv");
  });
});

describe("a preflight without VMs of the lab's own", () => {
  it("is told only what any lab needs", () => {
    expect(preflightStep({ stateDir: "~/s", memoryMiB: 2048, hostKind: "local", hypervisor: "docker", requireKvm: false, needRoot: [] }).environment).toEqual({
      STATE_DIR: "~/s",
      MEMORY_MIB: "2048",
      HOST_KIND: "local",
      HYPERVISOR: "docker",
      REQUIRE_KVM: "0",
      HOST_CHECKS: "",
      NEED_ROOT: "",
    });
  });
});
