// plan/machine.ts: what every hypervisor's VM script is told of a node, and the kernel it boots.
import { describe, expect, it } from "vitest";
import { bootFiles } from "../../../plan/machine.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

describe("boot files", () => {
  it("are the kernel and initrd beside a built disk, booted quietly from its root partition", () => {
    expect(bootFiles(labPlan(stackLab("dev")).config, "/c/images/debian-bookworm-abc/disk.qcow2")).toEqual({
      kernel: "/c/images/debian-bookworm-abc/vmlinuz",
      initrd: "/c/images/debian-bookworm-abc/initrd.img",
      append: "root=LABEL=root rw console=ttyS0 quiet",
    });
  });

  it("are none for a cloud image, which has its boot loader, or the ones the lab names", () => {
    expect(bootFiles(labPlan(stackLab("openstack-lab"), "openstack-lab").config, "/c/images/x.img")).toEqual({
      kernel: "",
      initrd: "",
      append: "root=/dev/vda rw console=ttyS0",
    });
    const raw = stackLab("dev");
    raw.image = { path: "/srv/disk.raw", kernel: "~/vmlinuz", initrd: "~/initrd.img", append: "root=/dev/vda1 console=ttyS0" };
    expect(bootFiles(labPlan(raw).config, "/c/images/x.img")).toEqual({ kernel: "~/vmlinuz", initrd: "~/initrd.img", append: "root=/dev/vda1 console=ttyS0" });
  });
});
