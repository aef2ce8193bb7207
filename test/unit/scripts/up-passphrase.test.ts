// scripts/up.sh run twice at the same moment on a machine that has no passphrase yet (two stacks
// brought up at once, the first time): both must end up with one passphrase, the one file they
// both use. A stand-in `pulumi` records the passphrase it was given to read at `up`; a `base64`
// stand-in takes its time, so that both runs are past "is there one?" before either has written.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/labs.js";
import { finished } from "../../helpers/processes.js";

const SCRIPT = join(ROOT, "scripts", "up.sh");
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-up-race-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  mkdirSync(join(dir, "home"));
  const executable = (name: string, text: string) => {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  };
  executable(
    "pulumi",
    `#!/bin/bash\ncase "$1" in\n  whoami) exit 0 ;;\n  up) echo "$4 $(cat "$PULUMI_CONFIG_PASSPHRASE_FILE")" >> "$FAKE_LOG" ;;\nesac\nexit 0\n`,
  );
  const base64 = spawnSync("bash", ["-c", "command -v base64"], { encoding: "utf8" }).stdout.trim();
  executable("base64", `#!/bin/bash\nsleep 0.5\nexec ${base64} "$@"\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function up(stack: string) {
  return finished(
    spawn("bash", [SCRIPT, stack], {
      env: { PATH: `${join(dir, "bin")}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: join(dir, "home"), FAKE_LOG: join(dir, "log") },
      stdio: ["ignore", "ignore", "pipe"],
    }),
  );
}

describe("scripts/up.sh, twice at the same moment", () => {
  it("generates one passphrase, which both runs use", async () => {
    const runs = await Promise.all([up("net-lab1"), up("net-lab2")]);
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const folder = join(dir, "home", ".config", "labstack");
    const phrase = readFileSync(join(folder, "passphrase"), "utf8").trim();
    expect(phrase).toMatch(/^[A-Za-z0-9+/=]{32}$/);
    // One run made it; the other took it as it found it.
    expect(runs.filter((r) => r.stderr.includes("changed generated the secrets passphrase"))).toHaveLength(1);
    const used = readFileSync(join(dir, "log"), "utf8").trim().split("\n").sort();
    expect(used).toEqual([`net-lab1 ${phrase}`, `net-lab2 ${phrase}`]);
    expect(readdirSync(folder)).toEqual(["passphrase"]);
    expect(statSync(join(folder, "passphrase")).mode & 0o777).toBe(0o600);
  });
});
