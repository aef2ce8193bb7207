// The provider's runner on this machine (`bash -s` as the current user): what the program prints
// and exits with arrives whole and apart, the program's text and arguments arrive byte for byte,
// and a program that outlives its time bound is ended with everything it started. Over SSH (real
// servers in a namespace, so root): test/e2e/provider-remote.test.ts.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../../../components/provider/remote.js";

const local = { kind: "local" } as const;

/** Whether a process still runs (a zombie whose parent has not reaped it yet counts as ended). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

describe("runProgram on this machine", () => {
  it("returns the exit code, with stdout and stderr apart", async () => {
    const ok = await runProgram(local, "echo out; echo err >&2", []);
    expect(ok).toEqual({ code: 0, stdout: "out\n", stderr: "err\n" });
    const no = await runProgram(local, "echo partial; exit 7", []);
    expect(no).toEqual({ code: 7, stdout: "partial\n", stderr: "" });
  });

  it("runs the program's text as sent (quotes, newlines, a heredoc, UTF-8) with its arguments as given", async () => {
    const line = `it's "quoted" \\ $HOME \`not run\` é ✓`;
    const program = ["set -euo pipefail", `cat <<'EOF'\n${line}\nEOF`, 'printf "%s\\n" "$#"', 'printf "<%s>\\n" "$@"', "id -u"].join("\n");
    const args = ["two words", "it's", "", "$(touch /nonexistent)", "line\nbreak", "-x"];
    const run = await runProgram(local, program, args);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${line}\n${args.length}\n${args.map((a) => `<${a}>\n`).join("")}${process.getuid!()}\n`);
  });

  it("a program that exits before reading all of its source is not an error", async () => {
    const long = `exit 4\n${"# filler\n".repeat(200_000)}`;
    expect(await runProgram(local, long, [])).toEqual({ code: 4, stdout: "", stderr: "" });
  });

  it("reports a program killed by a signal as such, not as an exit code", async () => {
    const run = await runProgram(local, "echo before; kill -9 $$", []);
    expect(run).toMatchObject({ code: null, failure: "signal", stdout: "before\n" });
    expect(run.stderr).toContain("SIGKILL");
  });

  it("ends a program at its time bound, with what it started, and keeps what it printed", async () => {
    const started = Date.now();
    const run = await runProgram(local, "echo $$; sleep 30 & echo $!; wait", [], { timeoutMs: 500 });
    const elapsed = Date.now() - started;
    expect(run).toMatchObject({ code: null, failure: "timeout" });
    expect(run.stderr).toContain("this machine did not finish within 500 ms");
    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(elapsed).toBeLessThan(2000);
    const pids = run.stdout.trim().split("\n").map(Number);
    expect(pids).toHaveLength(2);
    // The kill is sent as the run settles; the kernel ends the processes a moment later.
    await expect.poll(() => pids.filter(running), { timeout: 2000 }).toEqual([]);
  });

  it("ends, at the time bound, a child that still holds the output after bash has exited", async () => {
    const run = await runProgram(local, "sleep 30 & echo $!; exit 0", [], { timeoutMs: 500 });
    expect(run).toMatchObject({ code: null, failure: "timeout" });
    const pid = Number(run.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    await expect.poll(() => running(pid), { timeout: 2000 }).toBe(false);
  });
});
