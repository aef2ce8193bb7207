// Running what a test starts, and ending it.
import type { ChildProcess } from "node:child_process";
import type { Server } from "node:net";

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

/** What a child said and how it ended, once it has ended (its stdout and stderr piped). */
export function finished(child: ChildProcess): Promise<{ status: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

/** `server` listening on a free loopback port: the port. */
export async function onLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
