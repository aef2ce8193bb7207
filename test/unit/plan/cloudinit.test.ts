// plan/cloudinit.ts: a node's NoCloud seed: hostname, the lab user with the lab's key, and its
// NICs as the plan names them (NAT by DHCP, static addresses, unnumbered NICs up).
import { describe, expect, it } from "vitest";
import { renderSeed } from "../../../plan/cloudinit.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

const nics = labPlan(stackLab("dev")).node("compute1").nics;
const seed = renderSeed({ hostname: "compute1", user: "stack", sshPublicKey: "ssh-ed25519 AAAA test\n", nics });

describe("cloud-init seed", () => {
  it("creates the lab user with the key, and leaves /etc/hosts to node setup", () => {
    expect(seed.userData.startsWith("#cloud-config\n")).toBe(true);
    const user = JSON.parse(seed.userData.slice("#cloud-config\n".length));
    expect(user.hostname).toBe("compute1");
    expect(user.manage_etc_hosts).toBe(false);
    expect(user.ssh_pwauth).toBe(false);
    expect(user.disable_root).toBe(true);
    expect(user.ssh_genkeytypes).toEqual(["ed25519"]);
    expect(user.users).toEqual([
      {
        name: "stack",
        groups: ["sudo"],
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        shell: "/bin/bash",
        lock_passwd: true,
        ssh_authorized_keys: ["ssh-ed25519 AAAA test"],
      },
    ]);
  });

  it("configures NAT by DHCP, the management address statically, the guest NIC unnumbered, by the guest's names", () => {
    const net = JSON.parse(seed.networkConfig);
    expect(net.version).toBe(2);
    expect(Object.keys(net.ethernets)).toEqual(["enp0s3", "enp0s8", "enp0s9"]);
    expect(net.ethernets.enp0s3).toEqual({ match: { macaddress: nics[0].mac }, dhcp4: true });
    expect(net.ethernets.enp0s8).toEqual({ match: { macaddress: nics[1].mac }, dhcp4: false, addresses: ["192.168.1.21/24"] });
    expect(net.ethernets.enp0s9).toEqual({ match: { macaddress: nics[2].mac }, dhcp4: false });
    const vbox = labPlan(stackLab("openstack-lab"), "openstack-lab").node("controller").nics;
    expect(Object.keys(JSON.parse(renderSeed({ hostname: "controller", user: "stack", sshPublicKey: "k", nics: vbox }).networkConfig).ethernets)).toEqual([
      "enp0s3",
      "enp0s8",
      "enp0s9",
    ]);
  });

  it("applies everything in cloud-init's first stage, under the node's name", () => {
    const meta = JSON.parse(seed.metaData);
    expect(meta).toMatchObject({ "local-hostname": "compute1", dsmode: "local" });
    expect(meta["instance-id"]).toMatch(/^compute1-[0-9a-f]{12}$/);
  });

  it("changes the instance-id exactly when the seed changes", () => {
    const again = renderSeed({ hostname: "compute1", user: "stack", sshPublicKey: "ssh-ed25519 AAAA test", nics });
    const otherKey = renderSeed({ hostname: "compute1", user: "stack", sshPublicKey: "ssh-ed25519 BBBB test", nics });
    const otherNics = renderSeed({ hostname: "compute1", user: "stack", sshPublicKey: "ssh-ed25519 AAAA test", nics: nics.slice(0, 2) });
    expect(again.metaData).toBe(seed.metaData);
    expect(otherKey.metaData).not.toBe(seed.metaData);
    expect(otherNics.metaData).not.toBe(seed.metaData);
  });
});
