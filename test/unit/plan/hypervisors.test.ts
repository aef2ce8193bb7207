// plan/hypervisors/: each hypervisor's pure side: its guests' NIC names, what its lab host needs,
// its own host setup and the parameters of its VM script.
import { describe, expect, it } from "vitest";
import { renderSeed } from "../../../plan/cloudinit.js";
import { qemuSpec, tapName } from "../../../plan/hypervisors/qemu.js";
import { VBOX_DEFAULT_HOSTONLY_RANGE, vboxNetworkEnvironment, vboxNetworkName, vboxVmName, virtualboxSpec } from "../../../plan/hypervisors/virtualbox.js";
import { bundle } from "../../../plan/scripts.js";
import type { LabPlan } from "../../../plan/types.js";
import { missingCompanions } from "../../helpers/bundles.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

/** One node's VM parameters, with the networks' host devices named br-<network>. */
function machine(plan: LabPlan, node: string, baseImage = "/img.qcow2") {
  const n = plan.node(node);
  const seed = renderSeed({ hostname: n.name, user: plan.config.user, sshPublicKey: "k", nics: n.nics });
  const devices = Object.fromEntries(plan.networks.map((net) => [net.name, `br-${net.name}`]));
  return { nics: n.nics, seed, env: plan.hypervisor.machineEnvironment({ plan, node: n, seed, baseImage, devices }) };
}

describe("QEMU", () => {
  it("describes the NICs in order: NAT with the SSH forward, then taps on the networks' bridges", () => {
    const plan = labPlan(stackLab("dev"));
    const { nics, seed, env } = machine(plan, "controller");
    expect(env.NICS).toBe(
      [
        `kind=nat mac=${nics[0].mac} port=8222 slot=3`,
        `kind=tap mac=${nics[1].mac} tap=${tapName("dev", "controller", 1)} bridge=br-management slot=8`,
        `kind=tap mac=${nics[2].mac} tap=${tapName("dev", "controller", 2)} bridge=br-guest slot=9`,
      ].join("\n"),
    );
    expect(env).toMatchObject({
      VM_DIR: "~/.local/share/labstack/dev/vms/controller",
      NAME: "controller",
      BASE_IMAGE: "/img.qcow2",
      MEMORY_MIB: "2048",
      CPUS: "2",
      DISK_GIB: "10",
      ACCEL: "auto",
      USER_DATA: seed.userData,
      META_DATA: seed.metaData,
      NETWORK_CONFIG: seed.networkConfig,
      NAT_NETWORK: "10.0.2.0/24",
      NAT_GATEWAY: "10.0.2.2",
      NAT_GUEST: "10.0.2.15",
    });
    // A built image boots the kernel beside it.
    expect([env.KERNEL, env.INITRD, env.APPEND]).toEqual(["/vmlinuz", "/initrd.img", "root=LABEL=root rw console=ttyS0 quiet"]);
  });

  it("names taps short and per lab and node", () => {
    expect(tapName("dev", "a-node-with-a-long-name", 7).length).toBeLessThanOrEqual(15);
    expect(tapName("a-very-long-stack-name-indeed", "controller", 0)).toMatch(/^lt[0-9a-f]{6}n0$/);
    expect(tapName("dev", "controller", 1)).not.toBe(tapName("other", "controller", 1));
    expect(tapName("dev", "controller", 1)).not.toBe(tapName("dev", "compute1", 1));
  });

  it("needs KVM where the lab says so, or on a droplet in auto, and root for its taps and bridges", () => {
    const facts = (change: (raw: Record<string, any>) => void) => {
      const raw = stackLab("dev");
      change(raw);
      return qemuSpec.preflight(labPlan(raw));
    };
    expect(facts(() => {}).requireKvm).toBe(false);
    expect(facts((raw) => (raw.hypervisor.accel = "kvm")).requireKvm).toBe(true);
    const droplet = { kind: "digitalocean", region: "fra1", sshSourceCidrs: ["203.0.113.7/32"] };
    expect(facts((raw) => (raw.host = droplet)).requireKvm).toBe(true);
    expect(
      facts((raw) => {
        raw.host = droplet;
        raw.hypervisor.accel = "tcg";
      }).requireKvm,
    ).toBe(false);
    expect(facts(() => {}).needRoot).toEqual(["QEMU's taps and bridges"]);
  });

  it("ships vm.sh with what it calls, and needs no host setup of its own", () => {
    expect(missingCompanions(bundle(qemuSpec.vmScript, {}))).toEqual([]);
    expect(qemuSpec.hostSetup).toBeUndefined();
    expect(qemuSpec.hostTools.map((t) => t.command)).toEqual(["qemu-system-x86_64", "qemu-img", "cloud-localds"]);
    expect(qemuSpec.builderAccel(labPlan({ ...stackLab("dev"), hypervisor: { kind: "qemu", accel: "tcg" } }).config)).toBe("tcg");
  });
});

describe("VirtualBox", () => {
  const plan = labPlan(stackLab("openstack-lab"), "openstack-lab");

  it("describes the NICs with their attachment and promiscuous mode, and names the VM per lab", () => {
    const { nics, env } = machine(plan, "controller");
    expect(env.NICS).toBe(
      [
        `kind=nat mac=${nics[0].mac} port=8222`,
        `kind=hostonly mac=${nics[1].mac} to=br-management promisc=allow-all`,
        `kind=hostonly mac=${nics[2].mac} to=br-guest promisc=allow-all`,
      ].join("\n"),
    );
    expect(env).toMatchObject({
      NAME: "labstack-openstack-lab-controller",
      VM_DIR: "~/.local/share/labstack/openstack-lab/vms/controller",
      MEMORY_MIB: "6144",
    });
    expect(env).not.toHaveProperty("ACCEL");
    const lab5 = labPlan(stackLab("net-lab5"), "net-lab5");
    const box = machine(lab5, "boxB");
    expect(box.env.NICS.split("\n").slice(1)).toEqual([
      `kind=intnet mac=${box.nics[1].mac} to=br-networka promisc=allow-all`,
      `kind=intnet mac=${box.nics[2].mac} to=br-networkb promisc=allow-all`,
    ]);
    expect(machine(lab5, "boxA").env.NICS.split("\n")[1]).toContain("promisc=deny");
  });

  it("names internal networks per lab and bridged ones by their host device", () => {
    const lab5 = labPlan(stackLab("net-lab5"), "net-lab5");
    expect(vboxNetworkName("net-lab5", lab5.network("networka"))).toBe("labstack-net-lab5-networka");
    expect(vboxNetworkName("net-lab7", labPlan(stackLab("net-lab7"), "net-lab7").network("mybridge"))).toBe("myBridge");
    expect(vboxVmName("dev", "boxA")).toBe("labstack-dev-boxA");
  });

  it("makes host-only networks with the host's address, recording the interface it got in the state folder", () => {
    expect(vboxNetworkEnvironment(plan, plan.network("guest"))).toEqual({
      DEVICE: "",
      HOST_ADDRESS: "172.16.0.1",
      NETMASK: "255.255.255.0",
      STATE_FILE: "~/.local/share/labstack/openstack-lab/virtualbox/guest.hostonlyif",
    });
  });

  it("opens the lab's host-only ranges in networks.conf as its own host setup, when the lab asks", () => {
    expect(virtualboxSpec.hostSetup!(plan)).toEqual({
      script: expect.objectContaining({ path: "virtualbox/networks-conf.sh" }),
      environment: { VBOX_NETWORKS: "192.168.1.0/24 172.16.0.0/24", OWNER: "labstack openstack-lab" },
    });
    const raw = stackLab("openstack-lab");
    raw.hypervisor.networksConf = false;
    raw.networks[1] = { ...raw.networks[1], cidr: "192.168.56.0/24", hostAddress: "192.168.56.1" };
    raw.networks[2] = { ...raw.networks[2], cidr: "192.168.57.0/24", hostAddress: "192.168.57.1" };
    for (const n of raw.nodes) n.nics[1].ip = n.nics[1].ip.replace("192.168.1.", "192.168.56.");
    const inRange = labPlan(raw, "openstack-lab");
    expect(virtualboxSpec.hostSetup!(inRange)).toBeUndefined();
    expect(VBOX_DEFAULT_HOSTONLY_RANGE).toBe("192.168.56.0/21");
  });

  it("needs no KVM, root only for what the lab makes, and says how to see its running VMs and host-only devices", () => {
    const facts = virtualboxSpec.preflight(plan);
    expect(facts.requireKvm).toBe(false);
    expect(facts.needRoot).toEqual(["/etc/vbox/networks.conf"]);
    expect(facts.runningVm(plan.node("compute2"))).toBe("labstack-openstack-lab-compute2");
    expect(facts.ownDevice(plan.network("management"))).toBe("~/.local/share/labstack/openstack-lab/virtualbox/management.hostonlyif");
    const lab7 = labPlan(stackLab("net-lab7"), "net-lab7");
    expect(virtualboxSpec.preflight(lab7).needRoot).toEqual(["the lab's bridges", "/etc/vbox/networks.conf"]);
    expect(virtualboxSpec.preflight(lab7).ownDevice(lab7.network("mybridge"))).toBe("myBridge");
  });

  it("ships vm.sh with what it calls; its builder VM takes whatever QEMU can use", () => {
    expect(missingCompanions(bundle(virtualboxSpec.vmScript, {}))).toEqual([]);
    expect(virtualboxSpec.builderAccel(plan.config)).toBe("auto");
    expect(virtualboxSpec.hostTools[0]).toEqual({
      command: "VBoxManage",
      missing: "VirtualBox is not installed on the lab host (VBoxManage not found); install it from your distribution or virtualbox.org",
    });
    expect(virtualboxSpec.dropletPackages).toEqual(["virtualbox", "qemu-utils", "cloud-image-utils"]);
  });
});
