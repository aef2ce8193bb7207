// The lab's checks, run again without the engine: the same steps `up` runs, on the same nodes, at
// once (every check only observes). What each printed, and which failed.
import { failureOf, type Session } from "./session.js";

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** The check's last line (its `ok:` verdict), or why it failed. */
  readonly said: string;
  /** How long it took, connection included: what a `start` or a restore waits on. */
  readonly seconds: number;
}

/** The lab's checks; `clocksSet`, after a resume, holds back the ones that read the clock until
 * it settles. */
export async function runChecks(session: Session, clocksSet: Promise<unknown> = Promise.resolve()): Promise<CheckResult[]> {
  const checks = session.checks();
  const results: CheckResult[] = [];
  for (const wave of [...new Set(checks.map((c) => c.wave ?? 0))].sort((a, b) => a - b)) {
    const inWave = checks.filter((c) => (c.wave ?? 0) === wave);
    results.push(
      ...(await Promise.all(
        inWave.map(async (check) => {
          const started = performance.now();
          if (check.readsClock) await clocksSet;
          const result = check.on === "host" ? await session.onHost(check.step, ["up"]) : await session.onNode(check.on.node, check.step);
          const ok = result.code === 0;
          const said = ok ? (result.stdout.trim().split("\n").filter(Boolean).pop() ?? "ok") : failureOf(result);
          return { name: check.name, ok, said, seconds: (performance.now() - started) / 1000 };
        }),
      )),
    );
  }
  return results;
}

export function printChecks(results: readonly CheckResult[], out: (line: string) => void): boolean {
  for (const r of results) out(`  ${r.ok ? "green" : "RED  "} ${r.name}: ${r.said} (${r.seconds.toFixed(1)} s)`);
  const red = results.filter((r) => !r.ok).length;
  out(red === 0 ? `every check green (${results.length})` : `${red} of ${results.length} checks red`);
  return red === 0;
}
