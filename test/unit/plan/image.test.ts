// plan/image.ts: the nodes' base image on the lab host (host/image.sh): downloaded, a local file or
// built from a mirror, with the lab kind's packages baked in.
import { describe, expect, it } from "vitest";
import { bakesDownloadedImage, IMAGE_SCRIPT, imageStep, NO_BAKE } from "../../../plan/image.js";
import { bundle } from "../../../plan/scripts.js";
import type { LabPlan } from "../../../plan/types.js";
import type { OpenStackLabConfig } from "../../../stacks/openstack/model.js";
import { openstackBake } from "../../../stacks/openstack/plan.js";
import { missingCompanions } from "../../helpers/bundles.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

const planOf = (raw: Record<string, any>, stack: string) => labPlan(raw, stack) as LabPlan<OpenStackLabConfig>;
const seedLab = () => planOf(stackLab("openstack-lab"), "openstack-lab");
const SOURCE = ["IMAGE_PATH", "IMAGE_SHA256", "IMAGE_URL"];

describe("downloaded images", () => {
  it("bake the lab kind's packages in a builder VM: the Cloud Archive's, through the lab's cache, on the smallest node's disk", () => {
    const plan = seedLab();
    const env = imageStep(plan, openstackBake(plan.config)).environment;
    expect(env).toMatchObject({
      IMAGE_URL: "https://cloud-images.ubuntu.com/releases/jammy/release/ubuntu-22.04-server-cloudimg-amd64.img",
      IMAGE_SHA256: "https://cloud-images.ubuntu.com/releases/jammy/release/SHA256SUMS",
      IMAGE_PATH: "",
      CLOUD_ARCHIVE: "caracal",
      APT_PROXY: "http://192.168.1.1:3142",
      DISK_GIB: "20",
      ACCEL: "auto",
      KERNEL: "",
      INITRD: "",
      APPEND: "",
    });
    const raw = stackLab("openstack-lab");
    raw.nodes[1].diskGiB = 12;
    expect(imageStep(planOf(raw, "openstack-lab"), openstackBake(plan.config)).environment.DISK_GIB).toBe("12");
    // One package set whatever the source: the same packages as the built image of dev.
    const dev = planOf(stackLab("dev"), "dev");
    expect(env.PACKAGES).toBe(imageStep(dev, openstackBake(dev.config)).environment.PACKAGES);
    expect(env.SERVICES_OFF).toContain("mariadb.socket");
  });

  it("are baked on the hypervisor's accelerator for the builder: QEMU's own, or auto beside VirtualBox", () => {
    const raw = stackLab("openstack-lab");
    raw.hypervisor = { kind: "qemu", accel: "tcg" };
    expect(imageStep(planOf(raw, "openstack-lab"), openstackBake(seedLab().config)).environment.ACCEL).toBe("tcg");
  });

  it("boot their own kernel when the lab names one", () => {
    const raw = stackLab("openstack-lab");
    raw.image = { path: "~/images/disk.raw", kernel: "~/images/vmlinuz", initrd: "~/images/initrd.img" };
    const plan = planOf(raw, "openstack-lab");
    expect(imageStep(plan, openstackBake(plan.config)).environment).toMatchObject({
      IMAGE_URL: "",
      IMAGE_PATH: "~/images/disk.raw",
      KERNEL: "~/images/vmlinuz",
      INITRD: "~/images/initrd.img",
      APPEND: "root=/dev/vda rw console=ttyS0",
    });
  });

  it("are used as they are when the lab says bake: false or its kind bakes nothing", () => {
    const raw = stackLab("openstack-lab");
    raw.image.bake = false;
    const unbaked = planOf(raw, "openstack-lab");
    expect(bakesDownloadedImage(unbaked, openstackBake(unbaked.config))).toBe(false);
    expect(Object.keys(imageStep(unbaked, openstackBake(unbaked.config)).environment).sort()).toEqual(SOURCE);
    expect(Object.keys(imageStep(seedLab()).environment).sort()).toEqual(SOURCE);
    expect(bakesDownloadedImage(seedLab(), NO_BAKE)).toBe(false);
    expect(bakesDownloadedImage(seedLab(), openstackBake(seedLab().config))).toBe(true);
  });
});

describe("built images", () => {
  it("are built from the lab's distribution and mirror, without a bake of their own", () => {
    const dev = planOf(stackLab("dev"), "dev");
    expect(imageStep(dev).environment).toEqual({
      DISTRO: "debian",
      RELEASE: "bookworm",
      MIRROR: "",
      SIZE_GIB: "3",
      PACKAGES: "",
      SERVICES_OFF: "",
      APT_PROXY: "http://192.168.1.1:3142",
    });
    const raw = stackLab("dev");
    raw.image = { build: { distro: "ubuntu", release: "noble", mirror: "http://mirror.example/ubuntu", sizeGiB: 5 } };
    expect(imageStep(planOf(raw, "dev")).environment).toMatchObject({
      DISTRO: "ubuntu",
      RELEASE: "noble",
      MIRROR: "http://mirror.example/ubuntu",
      SIZE_GIB: "5",
    });
    // A built image always has the lab's packages.
    expect(bakesDownloadedImage(dev, openstackBake(dev.config))).toBe(false);
  });

  it("fetch through the lab's cache, else the configured upstream proxy, else the host's own", () => {
    const raw = stackLab("dev");
    raw.aptCache = { enabled: false, upstreamProxy: "http://10.9.9.9:3142" };
    expect(imageStep(planOf(raw, "dev")).environment.APT_PROXY).toBe("http://10.9.9.9:3142");
    raw.aptCache = { enabled: false };
    expect(imageStep(planOf(raw, "dev")).environment.APT_PROXY).toBe("");
    // With a cache of its own, the cache is the way out (it has the upstream).
    raw.aptCache = { enabled: true, upstreamProxy: "http://10.9.9.9:3142" };
    expect(imageStep(planOf(raw, "dev")).environment.APT_PROXY).toBe("http://192.168.1.1:3142");
  });
});

describe("the image step's script", () => {
  it("ships with everything it calls, transitively, and nothing else", () => {
    const stdin = bundle(IMAGE_SCRIPT, {});
    // The builder and its hook; the baker boots its VM as the QEMU driver does and runs the nodes' own base setup in it.
    for (const f of [
      "host/image.sh",
      "host/image-build.sh",
      "host/image-customize.sh",
      "host/image-bake.sh",
      "host/wait-ssh.sh",
      "qemu/accel.sh",
      "node/base-setup.sh",
      "lib/node.sh",
      "lib/records.sh",
    ]) {
      expect(stdin, f).toContain(`> "$dir/${f}"`);
    }
    expect(stdin).not.toContain('> "$dir/host/bridge.sh"');
    expect(missingCompanions(stdin)).toEqual([]);
    expect(imageStep(seedLab()).script).toBe(IMAGE_SCRIPT);
  });
});
