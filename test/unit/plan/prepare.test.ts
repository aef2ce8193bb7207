// plan/prepare.ts: host preparation installs the hypervisor's tools and, when the lab builds or
// bakes its image, the builder's; the APT cache's package when the lab has one.
import { describe, expect, it } from "vitest";
import { prepareStep } from "../../../plan/prepare.js";
import type { LabPlan } from "../../../plan/types.js";
import type { OpenStackLabConfig } from "../../../stacks/openstack/model.js";
import { openstackBake } from "../../../stacks/openstack/plan.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

const planOf = (stack: string, change: (raw: Record<string, any>) => void = () => {}) => {
  const raw = stackLab(stack);
  change(raw);
  return labPlan(raw, stack) as LabPlan<OpenStackLabConfig>;
};
const commands = (list: string) => (list === "" ? [] : list.split("\n").map((line) => line.split(" ")[0].slice("command=".length)));
const BUILDER = ["mmdebstrap", "sfdisk", "mkfs.fat", "mcopy", "syslinux", "/usr/lib/syslinux/mbr/mbr.bin"];

describe("host preparation", () => {
  it("installs the image builder's tools only for a lab that builds its image", () => {
    const dev = planOf("dev");
    expect(prepareStep(dev).script.path).toBe("host/prepare.sh");
    expect(commands(prepareStep(dev).environment.PACKAGES)).toEqual(["qemu-system-x86_64", "qemu-img", "cloud-localds", ...BUILDER]);
    expect(prepareStep(dev).environment.PACKAGES).toContain("command=sfdisk package=fdisk");
    expect(prepareStep(dev).environment.PACKAGES).toContain("command=/usr/lib/syslinux/mbr/mbr.bin package=syslinux-common");
    expect(commands(prepareStep(planOf("openstack-lab")).environment.PACKAGES)).not.toContain("mmdebstrap");
  });

  it("installs QEMU and SSH for the builder VM only when a downloaded image is baked, each tool once", () => {
    const lab = planOf("openstack-lab");
    const baked = prepareStep(lab, openstackBake(lab.config)).environment.PACKAGES;
    expect(baked).toContain("command=qemu-system-x86_64 package=qemu-system-x86");
    expect(baked).toContain("command=ssh package=openssh-client");
    // VirtualBox needs qemu-img and cloud-localds itself: each is installed once.
    expect(baked.match(/command=qemu-img /g)).toHaveLength(1);
    expect(baked.match(/command=cloud-localds /g)).toHaveLength(1);
    expect(prepareStep(lab).environment.PACKAGES).not.toContain("qemu-system-x86_64");
    const unbaked = planOf("openstack-lab", (raw) => (raw.image.bake = false));
    expect(prepareStep(unbaked, openstackBake(unbaked.config)).environment.PACKAGES).not.toContain("openssh-client");
  });

  it("names what no package brings, for the learner to install", () => {
    const env = prepareStep(planOf("openstack-lab")).environment;
    expect(env.REQUIRED).toBe(
      "command=VBoxManage missing=VirtualBox%20is%20not%20installed%20on%20the%20lab%20host%20(VBoxManage%20not%20found);%20install%20it%20from%20your%20distribution%20or%20virtualbox.org",
    );
    expect(commands(env.PACKAGES)).toEqual(["qemu-img", "cloud-localds"]);
    expect(prepareStep(planOf("dev")).environment.REQUIRED).toBe("");
  });

  it("installs the APT cache only for a lab that has one", () => {
    expect(prepareStep(planOf("dev")).environment.APT_CACHE).toBe("1");
    expect(prepareStep(planOf("net-lab1")).environment.APT_CACHE).toBe("0");
  });
});
