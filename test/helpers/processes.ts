// Ending what a test started.

/** SIGKILL to the process group a detached child leads; gone already is fine. Never the `kill`
 * binary for this: procps reads `kill -9 -132` as the options -1 -3 -2 and signals pid -1, which
 * is every process the caller may signal. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group has ended.
  }
}
