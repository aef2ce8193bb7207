// model/distros.ts: the releases image.build makes, the release a cloud image's URL names, and the
// Ubuntu Cloud Archive's pockets for each Ubuntu release.
import { describe, expect, it } from "vitest";
import { BUILD_RELEASES, buildReleaseProblem, CLOUD_ARCHIVE, cloudArchiveProblem, distroOf, imageRelease, UBUNTU_OPENSTACK } from "../../../model/distros.js";

describe("buildReleaseProblem", () => {
  it.each([
    ["debian", "bookworm"],
    ["debian", "trixie"],
    ["ubuntu", "jammy"],
    ["ubuntu", "noble"],
  ] as const)("takes %s %s", (distro, release) => {
    expect(buildReleaseProblem(distro, release)).toBeUndefined();
  });

  it("names image.build for the other distribution's release, image.build.release for no release at all", () => {
    expect(buildReleaseProblem("debian", "jammy")).toEqual({
      key: "build",
      message: "jammy is an Ubuntu release, not a Debian one: give distro: ubuntu, or a Debian release (bookworm, trixie)",
    });
    expect(buildReleaseProblem("ubuntu", "bookworm")?.key).toBe("build");
    expect(buildReleaseProblem("ubuntu", "focal")?.key).toBe("release");
    expect(buildReleaseProblem("debian", "sid")).toEqual({ key: "release", message: "the lab builds no Debian release 'sid': it builds bookworm, trixie" });
  });

  it("knows each release's distribution", () => {
    expect(distroOf("trixie")).toBe("debian");
    expect(distroOf("focal")).toBe("ubuntu");
    expect(distroOf("bullseye")).toBe("debian");
    expect(distroOf("hardy")).toBeUndefined();
    for (const [distro, releases] of Object.entries(BUILD_RELEASES)) for (const r of releases) expect(distroOf(r)).toBe(distro);
  });
});

describe("imageRelease", () => {
  it.each([
    ["https://cloud-images.ubuntu.com/releases/jammy/release/ubuntu-22.04-server-cloudimg-amd64.img", { distro: "ubuntu", release: "jammy" }],
    ["https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img", { distro: "ubuntu", release: "noble" }],
    ["https://mirror.example/images/ubuntu-24.04-server-cloudimg-amd64.img", { distro: "ubuntu", release: "noble" }],
    ["https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.qcow2", { distro: "debian", release: "bookworm" }],
    ["https://mirror.example/debian-13-genericcloud-amd64.qcow2", { distro: "debian", release: "trixie" }],
    ["https://mirror.example/images/disk.qcow2", undefined],
    ["https://mirror.example/ubuntu-26.04-server-cloudimg-amd64.img", undefined],
  ])("reads %s", (url, release) => {
    expect(imageRelease({ url })).toEqual(release);
  });

  it("takes a built image's own and says nothing of an image file", () => {
    expect(imageRelease({ build: { distro: "debian", release: "trixie" } })).toEqual({ distro: "debian", release: "trixie" });
    expect(imageRelease({})).toBeUndefined();
  });
});

describe("cloudArchiveProblem", () => {
  const ubuntu = (release: string) => ({ distro: "ubuntu" as const, release });

  it("takes each pocket the Cloud Archive has for its Ubuntu release, and any when the release is unknown", () => {
    for (const [release, pockets] of Object.entries(CLOUD_ARCHIVE))
      for (const uca of pockets) expect(cloudArchiveProblem(uca, ubuntu(release))).toBeUndefined();
    expect(cloudArchiveProblem("caracal", undefined)).toBeUndefined();
  });

  it("refuses the release an Ubuntu release ships itself, another release's pocket, Debian and names that do not exist", () => {
    expect(UBUNTU_OPENSTACK.noble).toBe("caracal");
    expect(cloudArchiveProblem("caracal", ubuntu("noble"))).toBe(
      "Ubuntu noble ships OpenStack caracal itself and the Cloud Archive has no noble-updates/caracal: remove cloudArchive, or pick one of dalmatian, epoxy, flamingo",
    );
    expect(cloudArchiveProblem("yoga", ubuntu("jammy"))).toContain("Ubuntu jammy ships OpenStack yoga itself");
    expect(cloudArchiveProblem("dalmatian", ubuntu("jammy"))).toBe(
      "the Cloud Archive has no dalmatian for Ubuntu jammy (dalmatian is for noble): pick one of zed, antelope, bobcat, caracal, or an image of noble",
    );
    expect(cloudArchiveProblem("caracal", { distro: "debian", release: "trixie" })).toContain(
      "the Ubuntu Cloud Archive is for Ubuntu nodes and the image is Debian trixie",
    );
    expect(cloudArchiveProblem("ussuri", undefined)).toBeUndefined();
    expect(cloudArchiveProblem("grizzly", undefined)).toMatch(/^the Ubuntu Cloud Archive has no OpenStack release 'grizzly'/);
  });
});
