// plan/droplet.ts: a fresh droplet's cloud-init: the lab's packages and the host key the lab made.
// (cloud-init's own schema checks the same user data in test/unit/plan/droplet.cloud-init.test.ts.)
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkDropletSize, DROPLET_SYSTEM_MIB, type DropletSize, dropletUserData, nodesNeeds } from "../../../plan/droplet.js";

describe("a droplet's user data", () => {
  const key = {
    privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nhostKeySecret\n-----END OPENSSH PRIVATE KEY-----\n",
    publicKey: "ssh-ed25519 AAAAhost labstack host\n",
  };

  it("installs the packages it is given, in order", () => {
    const userData = dropletUserData(["qemu-system-x86", "qemu-utils", "cloud-image-utils", "apt-cacher-ng"], key);
    expect(userData).toMatch(
      /^#cloud-config\npackage_update: true\npackages:\n {2}- qemu-system-x86\n {2}- qemu-utils\n {2}- cloud-image-utils\n {2}- apt-cacher-ng\n/,
    );
    expect(parse(userData).packages).toEqual(["qemu-system-x86", "qemu-utils", "cloud-image-utils", "apt-cacher-ng"]);
  });

  it("gives the droplet the lab's host key in place of its own, so SSH to it is verified from the start", () => {
    const cloudConfig = parse(dropletUserData(["curl"], key));
    expect(cloudConfig.ssh_keys).toEqual({ ed25519_private: key.privateKey, ed25519_public: "ssh-ed25519 AAAAhost labstack host" });
    expect(cloudConfig).toMatchObject({ ssh_deletekeys: true, package_update: true });
  });
});

describe("a droplet's size, checked against the API's sizes", () => {
  const size = (slug: string, vcpus: number, memory: number, priceMonthly: number, regions = ["fra1", "ams3"], available = true): DropletSize => ({
    slug,
    vcpus,
    memory,
    priceMonthly,
    regions,
    available,
  });
  const sizes = [
    size("s-1vcpu-1gb", 1, 1024, 6),
    size("s-2vcpu-4gb", 2, 4096, 24),
    size("s-4vcpu-8gb", 4, 8192, 48),
    size("s-8vcpu-16gb", 8, 16384, 96, ["fra1"]),
    size("m-2vcpu-16gb", 2, 16384, 84, ["fra1", "ams3"]),
    size("s-old", 8, 65536, 10, ["fra1"], false),
  ];
  const seed = nodesNeeds([
    { name: "controller", memoryMiB: 6144, cpus: 2 },
    { name: "compute1", memoryMiB: 4096, cpus: 2 },
    { name: "compute2", memoryMiB: 4096, cpus: 2 },
  ]);
  const messages = (host: { size: string; region: string }, needs = seed) =>
    checkDropletSize(host, sizes, needs).map((i) => `${i.path.join(".")}: ${i.message}`);

  it("sums the nodes' memory and takes the biggest node's vCPUs", () => {
    expect(seed).toEqual({ memoryMiB: 14336, memoryOf: "the nodes", cpus: 2, cpusOf: "node controller" });
    expect(
      nodesNeeds([
        { name: "a", memoryMiB: 512, cpus: 1 },
        { name: "b", memoryMiB: 512, cpus: 4 },
      ]).cpusOf,
    ).toBe("node b");
  });

  it("accepts a size offered in the region with the memory for the nodes and the droplet itself, and the vCPUs", () => {
    expect(messages({ size: "s-8vcpu-16gb", region: "fra1" })).toEqual([]);
    // 14336 MiB of nodes and 1024 for the droplet: 16 GB is enough, headroom included.
    expect(seed.memoryMiB + DROPLET_SYSTEM_MIB).toBeLessThanOrEqual(16384);
  });

  it("refuses a size the region does not offer, naming the region, where it is offered, and what fits there", () => {
    expect(messages({ size: "s-8vcpu-16gb", region: "ams3" })).toEqual([
      "host.size: s-8vcpu-16gb is not offered in ams3 (it is in fra1); sizes in ams3 that fit the lab: m-2vcpu-16gb",
    ]);
  });

  it("refuses a size the API does not know, and one no longer available", () => {
    expect(messages({ size: "s-64vcpu-1tb", region: "fra1" })).toEqual([
      "host.size: s-64vcpu-1tb is not a droplet size the DigitalOcean API knows (`doctl compute size list`); sizes in fra1 that fit the lab: m-2vcpu-16gb, s-8vcpu-16gb",
    ]);
    expect(messages({ size: "s-old", region: "fra1" })).toEqual([
      "host.size: s-old is not available for new droplets; sizes in fra1 that fit the lab: m-2vcpu-16gb, s-8vcpu-16gb",
    ]);
  });

  it("refuses a region where the API offers no size", () => {
    expect(messages({ size: "s-2vcpu-4gb", region: "xyz9" })).toEqual([
      "host.region: xyz9 is not a region where the DigitalOcean API offers droplets (it offers them in ams3, fra1; `doctl compute region list`)",
      "host.size: s-2vcpu-4gb has 4096 MiB of memory, but the nodes need 14336 MiB and the droplet itself 1024 MiB",
    ]);
  });

  it("refuses too little memory or too few vCPUs by the API's numbers, not the slug's", () => {
    expect(messages({ size: "s-4vcpu-8gb", region: "fra1" })).toEqual([
      "host.size: s-4vcpu-8gb has 8192 MiB of memory, but the nodes need 14336 MiB and the droplet itself 1024 MiB; sizes in fra1 that fit the lab: m-2vcpu-16gb, s-8vcpu-16gb",
    ]);
    // The nodes' memory exactly, without the droplet's own: still refused.
    const exact = { memoryMiB: 16384, memoryOf: "the nodes", cpus: 1, cpusOf: "node a" };
    expect(messages({ size: "s-8vcpu-16gb", region: "fra1" }, exact)).toEqual([
      "host.size: s-8vcpu-16gb has 16384 MiB of memory, but the nodes need 16384 MiB and the droplet itself 1024 MiB; no size in fra1 fits the lab",
    ]);
    const cluster = { memoryMiB: 2048, memoryOf: "the cluster", cpus: 4, cpusOf: "the cluster" };
    expect(messages({ size: "m-2vcpu-16gb", region: "ams3" }, cluster)).toEqual([
      "host.size: m-2vcpu-16gb has 2 vCPUs, fewer than the 4 of the cluster; sizes in ams3 that fit the lab: s-4vcpu-8gb",
    ]);
    expect(messages({ size: "s-1vcpu-1gb", region: "ams3" }, { ...cluster, cpus: 2 })[1]).toBe(
      "host.size: s-1vcpu-1gb has 1 vCPU, fewer than the 2 of the cluster; sizes in ams3 that fit the lab: s-2vcpu-4gb, s-4vcpu-8gb, m-2vcpu-16gb",
    );
  });
});
