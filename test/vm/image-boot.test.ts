// The two ways an image gets a lab kind's packages, and the way VirtualBox boots the result.
// The dev lab's built image (same key as the engine suites' builds, so it is built once per
// machine), made by host/image.sh with the parameters of the plan's image step, through the
// suite's own namespace and caches; then baked again as a downloaded image is (host/image-bake.sh:
// a builder VM, booted from the disk, installs one more package and disables one more service),
// into this run's own cache folder. The baked image boots from its own disk the way VirtualBox
// boots it: firmware → MBR → syslinux, the disk on a SATA (AHCI) controller, the NoCloud seed as a
// second drive, a virtio NIC with the SSH forward.
// VirtualBox cannot run on this machine; QEMU with that arrangement and no -kernel stands in for it.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSeed } from "../../plan/cloudinit.js";
import { IMAGE_SCRIPT, imageStep } from "../../plan/image.js";
import type { LabPlan } from "../../plan/types.js";
import type { OpenStackLabConfig } from "../../stacks/openstack/model.js";
import { openstackBake } from "../../stacks/openstack/plan.js";
import { startUpstreamCache } from "../helpers/cache.js";
import { cleanStale, SCRATCH_ROOT } from "../helpers/engineLab.js";
import { labPlan, scriptPath, stackLab } from "../helpers/labs.js";
import { createNamespace, type Namespace, THROWAWAY_SSH } from "../helpers/netns.js";

const SUITE = "imageboot";
const LINK = 7;
const PORT = 2290;
const scratch = join(SCRATCH_ROOT, SUITE);
let ns: Namespace;
let stopCache: () => void;

function inNs(argv: string[], env: Record<string, string> = {}) {
  return spawnSync(ns.exec[0], [...ns.exec.slice(1), ...argv], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 900_000 });
}

function onNode(command: string) {
  return inNs(["ssh", ...THROWAWAY_SSH, "-o", "ConnectTimeout=5", "-i", join(scratch, "key"), "-p", String(PORT), "stack@127.0.0.1", command]);
}

beforeAll(() => {
  // The namespace, upstream cache and scratch folder an earlier, killed run left (by this suite's names).
  cleanStale(SUITE, LINK);
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  ns = createNamespace(`lse-${SUITE}`, LINK);
  stopCache = startUpstreamCache(ns.uplinkAddress);
});

afterAll(() => {
  const pid = Number(spawnSync("cat", [join(scratch, "qemu.pid")], { encoding: "utf8" }).stdout);
  if (pid > 0) spawnSync("kill", [String(pid)]);
  stopCache?.();
  ns?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

/** The dev lab's plan; `adapt` changes its config first. Without an APT cache of its own (no lab
 * runs here to serve one), its image step fetches through the upstream cache on the namespace link. */
function devPlan(adapt: (raw: Record<string, any>) => void = () => undefined): LabPlan<OpenStackLabConfig> {
  const raw = stackLab("dev");
  raw.aptCache = { enabled: false, upstreamProxy: `http://${ns.uplinkAddress}:3142` };
  adapt(raw);
  return labPlan(raw) as LabPlan<OpenStackLabConfig>;
}
/** host/image.sh run from the checkout in the namespace; it prints the image's path last. */
const image = (env: Readonly<Record<string, string>>) => inNs(["bash", scriptPath(IMAGE_SCRIPT.path), "up"], env);

/** The same, not blocking: `watch` runs every second while it works. */
async function imageWatched(env: Readonly<Record<string, string>>, watch: () => void) {
  const child = spawn(ns.exec[0], [...ns.exec.slice(1), "bash", scriptPath(IMAGE_SCRIPT.path), "up"], { env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setInterval(watch, 1000);
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearInterval(timer);
  return { status, stdout, stderr };
}

describe("a built image baked again as a downloaded one", () => {
  let baked: string;

  it("gets the packages in a builder VM once, which runs as nobody: a second bake of the same inputs reuses it", async () => {
    const dev = devPlan();
    const step = imageStep(dev, openstackBake(dev.config));
    expect(step.environment).toMatchObject({ DISTRO: "debian", RELEASE: "bookworm", APT_PROXY: `http://${ns.uplinkAddress}:3142` });
    const built = image(step.environment);
    expect(built.status, built.stderr).toBe(0);
    const base = built.stdout.trim().split("\n").pop()!;

    // The built image as a local one, with a bake of its own; nodes of 4 GiB: the builder's disk,
    // which the node's 6 GiB disk below still outgrows.
    const local = devPlan((raw) => {
      raw.image = { path: base };
      for (const node of raw.nodes) node.diskGiB = 4;
    });
    const bakeStep = imageStep(local, { packages: ["tree"], servicesOff: ["chrony.service"] });
    expect(bakeStep.environment).toMatchObject({ IMAGE_PATH: base, PACKAGES: "tree", SERVICES_OFF: "chrony.service", DISK_GIB: "4" });
    const env = { ...bakeStep.environment, CACHE_DIR: join(scratch, "images") };
    // The image step runs as root here, as it does on a droplet: the builder QEMU drops root.
    const builderUids = new Set<string>();
    const bake = await imageWatched(env, () => {
      const builders = spawnSync("pgrep", ["-f", `labstack-bake .*${join(scratch, "images")}/`], { encoding: "utf8" }).stdout;
      for (const pid of builders.split("\n").filter(Boolean)) {
        const uid = spawnSync("awk", ["/^Uid:/ { print $2 }", `/proc/${pid}/status`], { encoding: "utf8" }).stdout.trim();
        if (uid !== "") builderUids.add(uid);
      }
    });
    expect(bake.status, bake.stderr).toBe(0);
    expect([...builderUids]).toEqual(["65534"]);
    expect(bake.stderr).toContain("baking tree into");
    baked = bake.stdout.trim();
    expect(baked).toMatch(new RegExp(`^${join(scratch, "images")}/baked-[0-9a-f]{16}/disk\\.qcow2$`));
    // Flattened: the baked image needs nothing else of the cache.
    const info = JSON.parse(spawnSync("qemu-img", ["info", "--output=json", baked], { encoding: "utf8" }).stdout);
    expect(info["backing-filename"]).toBeUndefined();
    expect(readFileSync(join(baked, "..", "packages.txt"), "utf8")).toBe("tree\n");

    const again = image(env);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(baked);
    expect(again.stderr).not.toContain("baking");
    expect(spawnSync("pgrep", ["-f", join(scratch, "images")]).status).toBe(1);
  });

  it("boots from its own disk through its boot loader on SATA as a new machine: the bake's package and service state, none of the builder's identity", () => {
    // The controller's NAT NIC as the plan makes it (its MAC, DHCP on it in the seed).
    const [nat] = devPlan().nodes[0].nics;
    expect(nat.kind).toBe("nat");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(scratch, "key")]);
    const seed = renderSeed({ hostname: "imageboot", user: "stack", sshPublicKey: readFileSync(join(scratch, "key.pub"), "utf8"), nics: [nat] });
    writeFileSync(join(scratch, "user-data"), seed.userData);
    writeFileSync(join(scratch, "meta-data"), seed.metaData);
    writeFileSync(join(scratch, "network-config"), seed.networkConfig);
    const disk = join(scratch, "disk.qcow2");
    for (const argv of [
      ["cloud-localds", "-N", join(scratch, "network-config"), join(scratch, "seed.img"), join(scratch, "user-data"), join(scratch, "meta-data")],
      ["qemu-img", "create", "-q", "-f", "qcow2", "-b", baked, "-F", "qcow2", disk, "6G"],
    ]) {
      const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    }
    // No -kernel: what boots is what is on the disk.
    const qemu = inNs([
      "qemu-system-x86_64",
      ...["-accel", "tcg", "-m", "1024", "-smp", "1", "-display", "none", "-daemonize", "-pidfile", join(scratch, "qemu.pid")],
      ...["-serial", `file:${join(scratch, "serial.log")}`],
      ...["-drive", `file=${disk},if=none,id=disk0,format=qcow2`, "-device", "ahci,id=sata", "-device", "ide-hd,drive=disk0,bus=sata.0"],
      ...["-drive", `file=${join(scratch, "seed.img")},if=none,id=seed0,format=raw,readonly=on`, "-device", "ide-cd,drive=seed0,bus=sata.1"],
      ...["-netdev", `user,id=nat,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:${PORT}-:22`, "-device", `virtio-net-pci,netdev=nat,mac=${nat.mac}`],
      ...["-object", "rng-random,id=rng0,filename=/dev/urandom", "-device", "virtio-rng-pci,rng=rng0"],
    ]);
    expect(qemu.status, qemu.stderr).toBe(0);

    const wait = inNs(["bash", scriptPath("host/wait-ssh.sh"), "up"], { PORT: String(PORT), TIMEOUT: "600" });
    expect(wait.status, `${wait.stderr}\n${readFileSync(join(scratch, "serial.log"), "utf8").slice(-3000)}`).toBe(0);
    const facts = onNode(
      [
        "cloud-init status --wait >/dev/null; cloud-init status; cat /proc/cmdline; findmnt -no SOURCE /; lsblk -bno SIZE /dev/sda2; ls /etc/ssh | grep -c '^ssh_host_.*_key$'",
        "command -v tree; systemctl is-enabled chrony.service || true; systemctl is-enabled mariadb.service || true",
        "sudo cat /root/.ssh/authorized_keys | grep -c labstack-bake || true; test -s /etc/machine-id && echo machine-id; ls /etc/apt/apt.conf.d | grep -c 71proxy || true",
      ].join("; "),
    );
    expect(facts.status, facts.stderr).toBe(0);
    const [status, cmdline, root, size, hostKeys, tree, chrony, mariadb, builderKey, machineId, proxies] = facts.stdout.trim().split("\n");
    // cloud-init ran at this first boot, though the builder's base setup had turned it off.
    expect(status).toBe("status: done");
    // syslinux names the kernel it loaded; QEMU's -kernel would not.
    expect(cmdline).toMatch(/^BOOT_IMAGE=\/vmlinuz .*root=LABEL=root/);
    expect(root).toBe("/dev/sda2");
    // The baked image's root partition is under 4 GiB; growpart gave it the rest of the 6 GiB disk.
    expect(Number(size)).toBeGreaterThan(5 * 1024 ** 3);
    // The seed asks for the Ed25519 host key alone (RSA's took 8 s of a boot under TCG); the
    // builder's went with it.
    expect(hostKeys).toBe("1");
    // The bake's package and disabled service, over the build's own (mariadb stays off).
    expect(tree).toBe("/usr/bin/tree");
    expect(chrony).toBe("disabled");
    expect(mariadb).toBe("disabled");
    // Root's keys are the node's own (cloud-init's "login as stack" entry): the builder's key
    // (labstack-bake), its machine id and its APT proxy stayed behind.
    expect(builderKey).toBe("0");
    expect(machineId).toBe("machine-id");
    expect(proxies).toBe("0");
  });
});
