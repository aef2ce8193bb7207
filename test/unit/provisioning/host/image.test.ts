// host/image.sh's download into the host's image cache, which every stack on the host shares: run
// for real from this checkout against a `curl` stand-in that serves files of the test's own (half
// the file, a pause, the rest: a download that takes a while) and logs each download.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scriptPath } from "../../../helpers/labs.js";
import { finished } from "../../../helpers/processes.js";

let dir: string;
let cache: string;
let served: string;
let log: string;
let bin: string;

const CURL = `#!/bin/bash
out="" url=""
while (($#)); do
  case "$1" in
    -o) out=$2; shift 2 ;;
    --retry) shift 2 ;;
    -*) shift ;;
    *) url=$1; shift ;;
  esac
done
src=$CURL_SERVED/\${url##*/}
[[ -f "$src" ]] || { echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; }
echo "$url" >> "$CURL_LOG"
half=$(( $(stat -c %s "$src") / 2 ))
{ head -c "$half" "$src"; sleep 1; tail -c +"$((half + 1))" "$src"; } > "\${out:-/dev/stdout}"
`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-image-"));
  cache = join(dir, "cache");
  served = join(dir, "served");
  log = join(dir, "downloads.log");
  bin = join(dir, "bin");
  mkdirSync(served);
  mkdirSync(bin);
  writeFileSync(log, "");
  writeFileSync(join(bin, "curl"), CURL);
  chmodSync(join(bin, "curl"), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const image = Buffer.from(`${"a cloud image ".repeat(50_000)}\n`);
const sha = createHash("sha256").update(image).digest("hex");
const env = (url: string, digest = sha) => ({
  ...process.env,
  PATH: `${bin}:${process.env.PATH}`,
  CURL_SERVED: served,
  CURL_LOG: log,
  IMAGE_URL: url,
  IMAGE_SHA256: digest,
  IMAGE_PATH: "",
  PACKAGES: "",
  CACHE_DIR: cache,
});

function start(url: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return finished(spawn("bash", [scriptPath("host/image.sh"), "up"], { env: env(url) }));
}
const run = (url: string, digest = sha) => spawnSync("bash", [scriptPath("host/image.sh"), "up"], { env: env(url, digest), encoding: "utf8" });
const downloads = () => readFileSync(log, "utf8").split("\n").filter(Boolean);

describe("host/image.sh, the host's shared image cache", () => {
  it("two stacks wanting the same image at the same moment: one downloads, the other waits and finds it cached", async () => {
    writeFileSync(join(served, "noble.img"), image);
    const both = await Promise.all([start("http://mirror.test/noble.img"), start("http://mirror.test/noble.img")]);
    for (const r of both) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(join(cache, `${sha}.img`));
      expect(r.stderr).not.toContain("mismatch");
    }
    expect(downloads()).toEqual(["http://mirror.test/noble.img"]);
    expect(readFileSync(join(cache, `${sha}.img`)).equals(image)).toBe(true);
    // No download's leftovers; the lock stays for the next comer.
    expect(readdirSync(cache).sort()).toEqual([`${sha}.img`, `${sha}.img.lock`]);
  });

  it("says `mismatch` for a whole file with another SHA-256 only, not for a failed download, and caches neither", () => {
    writeFileSync(join(served, "changed.img"), Buffer.from("another build under the same name\n"));
    const mismatch = run("http://mirror.test/changed.img");
    expect(mismatch.status).toBe(1);
    expect(mismatch.stderr).toContain("image.sha256: checksum mismatch: http://mirror.test/changed.img downloaded whole (34 bytes)");
    expect(mismatch.stderr).toContain(`but ${sha} was expected`);
    const failed = run("http://mirror.test/gone.img");
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("image.url: the download of http://mirror.test/gone.img failed");
    expect(failed.stderr).not.toContain("mismatch");
    expect(readdirSync(cache).filter((f) => !f.endsWith(".lock"))).toEqual([]);
  });

  it("clears what a killed download left behind, and downloads the image whole", () => {
    mkdirSync(cache);
    writeFileSync(join(cache, `${sha}.img.part`), "half of a killed run's download");
    writeFileSync(join(served, "noble.img"), image);
    const r = run("http://mirror.test/noble.img");
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(cache).sort()).toEqual([`${sha}.img`, `${sha}.img.lock`]);
    // Cached now: no second download.
    expect(run("http://mirror.test/noble.img").status).toBe(0);
    expect(downloads()).toHaveLength(1);
  });
});
