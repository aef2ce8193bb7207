// An engine killed outright (a second Ctrl-C sends SIGKILL to the terminal's process group) leaves
// its plugins behind, each in a process group of its own: the language host with the program (the
// SDK then spins forever on "failed to deliver log message" to the dead engine, seen at 70% of a
// CPU minutes after the kill) and the providers, this lab's own among them.

import { readFileSync } from "node:fs";

/** The parent of process `pid`, from /proc; undefined without /proc (macOS, Windows). */
export function parentOf(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** Whether process `pid` runs (one of another user's, that this one may not signal, too). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Once process `engine` is gone, sends SIGTERM to `alsoEnd` (the program's language host) and
 * exits. Nothing is watched without an engine to watch by. */
export function exitWithEngine(engine: number | undefined, alsoEnd?: number, everyMs = 2000): void {
  if (engine === undefined || !(engine > 1)) return;
  setInterval(() => {
    if (processRuns(engine)) return;
    if (alsoEnd !== undefined) process.kill(alsoEnd, "SIGTERM");
    process.exit(1);
  }, everyMs).unref();
}
