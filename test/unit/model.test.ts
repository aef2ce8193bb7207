import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LabConfigError, parseLab } from "../../model/parse.js";
import { parseStack } from "../../stacks/index.js";
import { BAD_CONFIGS } from "../helpers/badConfigs.js";
import { ROOT, stackLab } from "../helpers/labs.js";

const STACKS = readdirSync(ROOT).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);

function errorOf(raw: unknown, facts = {}): string[] {
  try {
    parseStack(raw, facts);
  } catch (e) {
    expect(e).toBeInstanceOf(LabConfigError);
    return [...(e as LabConfigError).issues];
  }
  throw new Error("config was accepted");
}

describe("lab model", () => {
  it("accepts every stack file in the repository", () => {
    expect(STACKS.length).toBeGreaterThanOrEqual(15);
    for (const stack of STACKS) expect(() => parseStack(stackLab(stack), { memoryMiB: 24 * 1024 }), stack).not.toThrow();
    for (const stack of ["dev", "openstack-lab"]) {
      expect(parseLab(stackLab(stack)).nodes.map((n) => n.name)).toEqual(["controller", "compute1", "compute2"]);
    }
  });

  it("lets VirtualBox boot a built image (it has a boot loader)", () => {
    const lab = parseLab({ ...stackLab("openstack-lab"), image: { build: { distro: "debian", release: "bookworm" } } });
    expect(lab.hypervisor.kind).toBe("virtualbox");
    expect(lab.image.build).toEqual({ distro: "debian", release: "bookworm", sizeGiB: 3 });
  });

  it("takes paths under ~/ as given, for the lab host to expand", () => {
    const raw = stackLab("dev");
    raw.host.stateDir = "~/labs/dev";
    raw.credentialsDir = "~/.os_credentials";
    raw.image = { path: "/srv/images/debian 12.raw", kernel: "~/images/vmlinuz", initrd: "~/images/initrd.img" };
    const lab = parseLab(raw);
    expect([lab.host.stateDir, lab.credentialsDir, lab.image.kernel]).toEqual(["~/labs/dev", "~/.os_credentials", "~/images/vmlinuz"]);
  });

  it("opens a droplet's SSH to the internet only when asked to", () => {
    const raw = stackLab("openstack-do");
    raw.host.sshSourceCidrs = ["0.0.0.0/0"];
    expect(errorOf(raw).some((e) => e.startsWith("labstack:lab.host.sshSourceCidrs[0]:"))).toBe(true);
    raw.host.allowPublicSsh = true;
    expect(parseLab(raw).host).toMatchObject({ sshSourceCidrs: ["0.0.0.0/0"], allowPublicSsh: true });
    expect(parseLab(stackLab("openstack-do")).host).toMatchObject({ allowPublicSsh: false });
  });

  it("openstack-lab is the seed's Lab1", () => {
    const lab = parseLab(stackLab("openstack-lab"));
    expect(lab.hypervisor.kind).toBe("virtualbox");
    expect(lab.nodes.map((n) => [n.name, n.memoryMiB, n.cpus, n.nics[0].sshPort, n.nics[1].ip])).toEqual([
      ["controller", 6144, 2, 8222, "192.168.1.11"],
      ["compute1", 4096, 2, 8200, "192.168.1.21"],
      ["compute2", 4096, 2, 8201, "192.168.1.22"],
    ]);
    expect(lab.networks.filter((n) => n.kind === "hostonly").map((n) => [n.cidr, n.hostAddress, n.dhcp])).toEqual([
      ["192.168.1.0/24", "192.168.1.1", false],
      ["172.16.0.0/24", "172.16.0.1", false],
    ]);
    for (const node of lab.nodes) {
      expect(node.nics.map((n) => n.network)).toEqual(["nat", "management", "guest"]);
      expect(node.nics[2].ip).toBeUndefined();
      expect(node.nics.slice(1).every((n) => n.promiscuous)).toBe(true);
    }
    expect(lab.aptCache).toEqual({ enabled: true, port: 3142 });
  });

  it("applies defaults in one place", () => {
    const raw = stackLab("dev");
    delete raw.nodes[0].cpus;
    delete raw.nodes[0].diskGiB;
    delete raw.user;
    const lab = parseLab(raw);
    expect(lab.nodes[0].cpus).toBe(1);
    expect(lab.nodes[0].diskGiB).toBe(10);
    expect(lab.user).toBe("stack");
    expect(lab.hypervisor).toMatchObject({ accel: "auto" });
    expect(lab.credentialsRotation).toBe(0);
  });

  it.each(BAD_CONFIGS)("fails on %s", (_, make, expected) => {
    expect(errorOf(make())).toContain(expected);
  });

  it("checks the nodes' memory against what the lab host measurably has", () => {
    expect(errorOf(stackLab("dev"), { memoryMiB: 2048 })).toContain("labstack:lab.nodes: the nodes need 4096 MiB of memory but the lab host has 2048 MiB");
  });

  it("reports every problem at once", () => {
    const l = stackLab("dev");
    l.nodes[1].nics[1].ip = "192.168.9.9";
    l.nodes[2].nics[0].sshPort = 8222;
    expect(errorOf(l)).toHaveLength(2);
  });
});
