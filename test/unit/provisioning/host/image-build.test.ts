// host/image-build.sh after a build killed outright (SIGKILL: no trap runs): run for real from this
// checkout, with the real disk tools, against an `mmdebstrap` stand-in that makes a tiny root (and,
// asked to, mounts a folder of the test's into it the way mmdebstrap mounts the host's /dev, then
// hangs). Every run shares one private mount namespace of the test's, so a mount the killed build
// left is there for the next run to find, and nothing reaches the host's mounts.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scriptPath } from "../../../helpers/labs.js";
import { killGroup } from "../../../helpers/processes.js";

const MMDEBSTRAP = `#!/bin/bash
args=("$@")
target=\${args[\${#args[@]} - 2]}
mkdir -p "$target/etc" "$target/dev"
echo labstack-test > "$target/etc/hostname"
echo kernel > "$target/../vmlinuz"
echo initrd > "$target/../initrd.img"
if [[ -n "\${HANG_MARK:-}" ]]; then
  mount --bind "$HOST_DEV" "$target/dev"
  touch "$HANG_MARK"
  sleep 600
fi
`;

let dir: string;
let cache: string;
let hostDev: string;
let namespace: ChildProcess;
const killed: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-image-build-"));
  cache = join(dir, "cache");
  hostDev = join(dir, "host-dev");
  const bin = join(dir, "bin");
  mkdirSync(cache);
  mkdirSync(bin);
  mkdirSync(hostDev);
  writeFileSync(join(hostDev, "null"), "a file of the host's that no cleanup may delete\n");
  writeFileSync(join(bin, "mmdebstrap"), MMDEBSTRAP);
  chmodSync(join(bin, "mmdebstrap"), 0o755);
  namespace = spawn("unshare", ["--mount", "--propagation", "private", "sleep", "600"], { stdio: "ignore" });
});
afterEach(() => {
  for (const child of killed.splice(0)) killGroup(child.pid);
  namespace.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  PATH: `${join(dir, "bin")}:${process.env.PATH}`,
  DISTRO: "debian",
  RELEASE: "bookworm",
  MIRROR: "http://mirror.test/debian",
  SIZE_GIB: "1",
  PACKAGES: "",
  CACHE_DIR: cache,
  HOST_DEV: hostDev,
  ...extra,
});
// Inside the test's mount namespace (nsenter), as every build of the test runs.
const inNamespace = (args: string[]) => ["-t", `${namespace.pid}`, "-m", ...args];
const build = (extra: Record<string, string> = {}) =>
  spawnSync("nsenter", inNamespace(["bash", scriptPath("host/image-build.sh")]), { env: env(extra), encoding: "utf8" });
const mountsUnder = (path: string) =>
  readFileSync(`/proc/${namespace.pid}/mountinfo`, "utf8")
    .split("\n")
    .filter((line) => line.split(" ")[4]?.startsWith(`${path}/`));
const buildFolders = () => readdirSync(cache).filter((f) => f.startsWith(".build-"));

async function killMidBuild(): Promise<string> {
  const mark = join(dir, "hanging");
  const child = spawn("nsenter", inNamespace(["bash", scriptPath("host/image-build.sh")]), {
    env: env({ HANG_MARK: mark }),
    detached: true,
    stdio: "ignore",
  });
  killed.push(child);
  for (let i = 0; i < 300 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(mark), "the stand-in mmdebstrap never started").toBe(true);
  killGroup(child.pid);
  await new Promise((r) => child.on("exit", r));
  const [left] = buildFolders();
  expect(left, "a SIGKILL skips the trap: the folder stays").toBeDefined();
  return join(cache, left as string);
}

describe("host/image-build.sh after a build killed with SIGKILL", () => {
  it("the next build clears the killed build's folder and its mount, never deleting through the mount, and builds whole", async () => {
    const left = await killMidBuild();
    expect(left).toMatch(/\/\.build-debian-bookworm-[0-9a-f]{16}\.\w{6}$/);
    expect(mountsUnder(left)).toHaveLength(1);

    const r = build();
    expect(r.status, r.stderr).toBe(0);
    const disk = r.stdout.trim();
    expect(disk).toMatch(/\/debian-bookworm-[0-9a-f]{16}\/disk\.qcow2$/);
    expect(existsSync(disk)).toBe(true);
    expect(buildFolders()).toEqual([]);
    expect(mountsUnder(cache)).toEqual([]);
    expect(readFileSync(join(hostDev, "null"), "utf8")).toContain("no cleanup may delete");
    // Built once: the next run finds it.
    expect(build().stdout.trim()).toBe(disk);
  });

  it("leaves another image's build that still runs, and an older release's folder, which it names", () => {
    // Another image being built at this moment: its builder holds that image's lock.
    const other = "debian-trixie-0123456789abcdef";
    const otherFolder = join(cache, `.build-${other}.AbC123`);
    const legacy = join(cache, ".build-Xy12Z9");
    mkdirSync(otherFolder);
    mkdirSync(legacy);
    const holder = spawn("flock", [join(cache, `${other}.lock`), "sleep", "600"], { detached: true, stdio: "ignore" });
    killed.push(holder);
    for (let i = 0; i < 50 && spawnSync("flock", ["-n", join(cache, `${other}.lock`), "true"]).status === 0; i++) {
      spawnSync("sleep", ["0.1"]);
    }

    const r = build();
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(otherFolder)).toBe(true);
    expect(existsSync(legacy)).toBe(true);
    expect(r.stderr).toContain(`${legacy} is an earlier release's unfinished image build; remove it with: sudo rm -rf --one-file-system ${legacy}`);

    // Once nobody builds it, it is a killed build's folder like any other.
    killGroup(holder.pid);
    spawnSync("flock", [join(cache, `${other}.lock`), "true"]);
    rmSync(join(cache, readdirSync(cache).find((f) => /^debian-bookworm-[0-9a-f]{16}$/.test(f)) as string), { recursive: true });
    expect(build().status).toBe(0);
    expect(existsSync(otherFolder)).toBe(false);
  });
});
