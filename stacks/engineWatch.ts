// An engine killed outright (a second Ctrl-C sends SIGKILL to the terminal's process group) leaves
// its language host and the program behind, in the language host's own process group: the SDK
// then spins forever on "failed to deliver log message" to the dead engine (seen at 70% of a CPU,
// minutes after the kill).

import { readFileSync } from "node:fs";

/** The parent of process `pid`, from /proc. */
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[1]);

/** Watches the engine that started this program's language host (its parent's parent); once it
 * is gone, ends the language host and the program. Nothing to watch without /proc (macOS, Windows). */
export function exitWithEngine(everyMs = 2000): void {
  let engine: number;
  try {
    engine = parentOf(process.ppid);
  } catch {
    return;
  }
  if (!(engine > 1)) return;
  setInterval(() => {
    try {
      process.kill(engine, 0);
    } catch {
      process.kill(process.ppid, "SIGTERM");
      process.exit(1);
    }
  }, everyMs).unref();
}
