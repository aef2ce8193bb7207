// node/clock.sh, run for real with bash, with stand-ins for `date` (it notes the time it was asked
// to set) and `systemctl`, and a file standing in for the hardware clock's sysfs counter.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { shellQuote } from "../../../../plan/scripts.js";
import { scriptPath } from "../../../helpers/labs.js";
import { realCommand } from "../../../helpers/standIns.js";

const EPOCH = 1_796_256_000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-clock-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const standIn = (name: string, text: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\n${text}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  // Only these and the stand-ins: the machine's own hwclock and date set the machine's clock.
  const tools = join(dir, "tools");
  mkdirSync(tools);
  for (const tool of ["dirname", "sleep"]) symlinkSync(realCommand(tool), join(tools, tool));
  standIn("date", `echo "$*" >> ${shellQuote(join(dir, "set"))}`);
  standIn("systemctl", `echo "$*" >> ${shellQuote(join(dir, "systemctl"))}; [[ "$*" != *is-active* ]] || [[ -e ${shellQuote(join(dir, "chrony"))} ]]`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** clock.sh up, with the hardware clock at `rtc` (none when undefined), ticking once to rtc + 1
 * after `tickAfter` seconds when given, or then unreadable when `vanishes`. */
function clock(rtc: number | undefined, tickAfter?: number, vanishes = false) {
  const file = join(dir, "rtc");
  if (rtc !== undefined) writeFileSync(file, `${rtc}\n`);
  const change = vanishes ? `${realCommand("rm")} ${shellQuote(file)}` : `echo ${(rtc ?? 0) + 1} > ${shellQuote(file)}`;
  const tick = tickAfter === undefined ? "" : `(sleep ${tickAfter}; ${change}) & `;
  const bash = realCommand("bash");
  const r = spawnSync(bash, ["-c", `${tick}${bash} ${shellQuote(scriptPath("node/clock.sh"))} up`], {
    encoding: "utf8",
    // Not a socket on stdin: bash would take itself for a remote shell and read ~/.bashrc.
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: `${join(dir, "bin")}:${join(dir, "tools")}`, EPOCH: String(EPOCH), RTC_SECONDS: file },
  });
  const set = existsSync(join(dir, "set")) ? readFileSync(join(dir, "set"), "utf8").trim() : "";
  return { status: r.status, said: r.stdout.trim(), stderr: r.stderr, set };
}

describe("node/clock.sh", () => {
  it("sets the time with hwclock where the node has it: from the hardware clock's tick in one process, however late a loaded guest starts it", () => {
    const bin = join(dir, "bin");
    writeFileSync(join(bin, "hwclock"), `#!/bin/bash\necho "$*" >> ${shellQuote(join(dir, "hwclock"))}\n`);
    chmodSync(join(bin, "hwclock"), 0o755);
    const r = clock(EPOCH + 8);
    expect(r).toMatchObject({ status: 0, set: "", stderr: "" });
    expect(readFileSync(join(dir, "hwclock"), "utf8")).toBe("--hctosys --utc\n");
    expect(r.said).toBe("labstack: changed set the clock to the hardware clock's (the lab host's time)");
    // A hardware clock EPOCH does not vouch for is not read.
    rmSync(join(dir, "hwclock"));
    expect(clock(EPOCH + 3600)).toMatchObject({ status: 0, set: `-s @${EPOCH}` });
    expect(existsSync(join(dir, "hwclock"))).toBe(false);
  });

  it("without hwclock, takes the hardware clock's time at its next tick: exact, where EPOCH is as old as the step's way to a resumed guest", () => {
    const r = clock(EPOCH + 8, 0.3);
    expect(r).toMatchObject({ status: 0, set: `-s @${EPOCH + 9}`, stderr: "" });
    expect(r.said).toBe("labstack: changed set the clock to the hardware clock's (the lab host's time)");
  });

  it("without hwclock, still sets the time when the hardware clock cannot be read again while it waits for the tick", () => {
    const r = clock(EPOCH + 8, 0.3, true);
    expect(r).toMatchObject({ status: 0, set: `-s @${EPOCH + 8}` });
    expect(r.said).toBe("labstack: changed set the clock to the hardware clock's (the lab host's time)");
  });

  it("takes EPOCH when the hardware clock disagrees with it (kept in local time) or there is none", () => {
    expect(clock(EPOCH + 3600)).toMatchObject({ status: 0, set: `-s @${EPOCH}`, said: "labstack: changed set the clock to the lab host's time" });
    rmSync(join(dir, "set"));
    expect(clock(EPOCH - 60)).toMatchObject({ status: 0, set: `-s @${EPOCH}` });
    rmSync(join(dir, "set"));
    rmSync(join(dir, "rtc"));
    expect(clock(undefined)).toMatchObject({ status: 0, set: `-s @${EPOCH}` });
  });

  it("restarts chrony where it runs, for measurements of after the pause", () => {
    writeFileSync(join(dir, "chrony"), "");
    const r = clock(EPOCH, 0.1);
    expect(r.said).toBe("labstack: changed set the clock to the hardware clock's (the lab host's time) and restarted chrony");
    expect(readFileSync(join(dir, "systemctl"), "utf8")).toContain("restart chrony");
  });
});
