// How long a command and each of its phases took, said as it goes: where a `start` or a restore
// spends its seconds is what a learner (and the benchmark) asks first.

/** Runs `run`, then says `(WHAT in N s)`. */
export async function timed<T>(say: (line: string) => void, what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  say(`(${what} in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}
