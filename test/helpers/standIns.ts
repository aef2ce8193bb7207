// Stand-in commands on a PATH of a test's own: each records its command line (the argv every
// local user can read in `ps`) and what it read on stdin, then runs the real command or a script
// of the test's own. The tests of the secrets read them back: a secret must reach the program
// (stdin, a private file, its environment) but never be part of any recorded command line.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A command's stand-in: `real` runs the real command after recording, else `body` (sh) runs. */
export type StandIn = "real" | { readonly body: string; readonly stdin?: boolean };

/** One recorded call: the command's name and its arguments, and its stdin if recorded. */
export interface Call {
  readonly name: string;
  readonly argv: readonly string[];
  readonly stdin?: string;
  /** What a stand-in's body noted in "$call.EXT" (a file beside the record), if it did. */
  note(ext: string): string | undefined;
}

/** Where a real command lies on the test's own PATH (without the stand-ins). */
export function realCommand(name: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8", env: { PATH: process.env.PATH } }).stdout.trim();
  if (!found.startsWith("/")) throw new Error(`no ${name} on this machine's PATH for a stand-in to run`);
  return found;
}

/**
 * Stand-ins for `commands` in `dir`/bin; calls are recorded in `dir`/calls, one file a call.
 * `path` is the PATH to run with (the stand-ins first). A stand-in with `stdin: true` keeps what it
 * read in `$STDIN_FILE` for its body, and in the record; a body may note more in "$call.EXT".
 */
export function standIns(dir: string, commands: Readonly<Record<string, StandIn>>) {
  const bin = join(dir, "bin");
  const calls = join(dir, "calls");
  mkdirSync(bin, { recursive: true });
  mkdirSync(calls, { recursive: true });
  const [mktemp, cat] = [realCommand("mktemp"), realCommand("cat")];
  for (const [name, standIn] of Object.entries(commands)) {
    // sh, not bash: a stand-in for bash must not find itself. Arguments NUL-separated, as /proc
    // has a command line.
    // mktemp and cat by their paths: either may have a stand-in of its own.
    const record = `call=$(${mktemp} "${calls}/${name}.XXXXXX")\nfor a in "$@"; do printf '%s' "$a"; printf '\\000'; done > "$call.argv"\n`;
    const text =
      standIn === "real"
        ? `#!/bin/sh\n${record}exec ${realCommand(name)} "$@"\n`
        : `#!/bin/sh\n${record}${standIn.stdin ? `STDIN_FILE="$call.stdin"; ${cat} > "$STDIN_FILE"; export STDIN_FILE\n` : ""}${standIn.body}\n`;
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  return {
    bin,
    path: `${bin}:${process.env.PATH}`,
    /** Every call so far, in no particular order; those of `name` only if given. */
    calls(name?: string): Call[] {
      return readdirSync(calls)
        .filter((f) => f.endsWith(".argv") && (name === undefined || f.startsWith(`${name}.`)))
        .map((f) => {
          const base = join(calls, f.slice(0, -".argv".length));
          const argv = readFileSync(`${base}.argv`, "utf8").split("\0").slice(0, -1);
          const stdin = existsSync(`${base}.stdin`) ? readFileSync(`${base}.stdin`, "utf8") : undefined;
          const note = (ext: string) => (existsSync(`${base}.${ext}`) ? readFileSync(`${base}.${ext}`, "utf8") : undefined);
          return { name: f.slice(0, f.lastIndexOf(".", f.length - ".argv".length - 1)), argv, stdin, note };
        });
    },
  };
}

/** The recorded command lines that contain `secret`, as the name and arguments joined by spaces. */
export const argvHolding = (calls: readonly Call[], secret: string): string[] =>
  calls.filter((c) => c.argv.some((a) => a.includes(secret))).map((c) => [c.name, ...c.argv].join(" "));

/** Whether strace runs here (it needs ptrace): it sees every program's command line, wherever its path. */
export const straceWorks = (): boolean => spawnSync("strace", ["-f", "-qq", "-e", "trace=execve", "-o", "/dev/null", "true"]).status === 0;

/** Every command line execve saw while `args` ran under strace, one a line as strace prints it. */
export function execveLog(dir: string, command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const log = join(dir, `strace.${Date.now()}.log`);
  const r = spawnSync("strace", ["-f", "-qq", "-s", "1000000", "-e", "trace=execve", "-o", log, command, ...args], {
    input: options.input,
    env: options.env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    execs: existsSync(log)
      ? readFileSync(log, "utf8")
          .split("\n")
          .filter((l) => l.includes("execve("))
      : [],
  };
}
