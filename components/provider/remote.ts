// How the lab's resource provider runs a short bash program on a target (this machine, the lab
// host, a node through the lab host) while it reads a lab's live state. A refresh must tell "the
// program said no" (an exit code) from "the target could not be asked" (a failure kind), and must
// never hang or throw on an unreachable target: every run resolves, within its time bound, and
// closes every connection it opened.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import ssh2, { type Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";

// ssh2 is CommonJS: under Node's own ESM loader only some of its exports exist as named imports (`utils` does not).
const { utils } = ssh2;

export interface SshTarget {
  readonly kind: "ssh";
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** OpenSSH private key (ed25519), unencrypted. */
  readonly privateKey: string;
  /** The server's public key in authorized_keys format; when set, any other key is refused. */
  readonly hostKey?: string;
  /** Run the program through `sudo -n` (ignored for root). */
  readonly sudo?: boolean;
  /** Reach host:port through this target, as OpenSSH's ProxyJump does (a node's forward on the lab host's loopback). */
  readonly via?: SshTarget;
}

export type Target = { readonly kind: "local" } | SshTarget;

/**
 * Why a run has no exit code: `unreachable` (no connection or no session, including a jump host
 * that could not open the forward), `host-key` (the server is not the pinned one), `auth` (the key was refused or
 * unusable), `timeout`, `signal` (the program was killed), `disconnected` (the connection dropped
 * before the program's exit status arrived).
 */
export type RunFailure = "unreachable" | "host-key" | "auth" | "timeout" | "signal" | "disconnected";

export type RunResult =
  | { readonly code: number; readonly stdout: string; readonly stderr: string }
  | { readonly code: null; readonly failure: RunFailure; readonly stdout: string; readonly stderr: string };

export interface RunOptions {
  /** Bound on the whole run, connections included. @default 20000 */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const CLOSE_GRACE_MS = 1000;

/** Runs `program` (bash source, sent on stdin) with `args` as its positional parameters on `target`. */
export function runProgram(target: Target, program: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return bounded(timeoutMs, describe(target), (run) =>
    target.kind === "local" ? runLocal(run, program, args) : runSsh(run, target, program, args, Date.now() + timeoutMs),
  );
}

/** One run in progress: collects output, settles once, and undoes whatever was opened. */
interface Run {
  readonly stdout: Buffer[];
  readonly stderr: Buffer[];
  exited(code: number): void;
  failed(failure: RunFailure, message: string): void;
  onSettle(close: () => void): void;
}

function bounded(timeoutMs: number, what: string, start: (run: Run) => void): Promise<RunResult> {
  return new Promise((resolve) => {
    const closers: (() => void)[] = [];
    let done = false;
    const settle = (code: number | null, failure: RunFailure | undefined, message: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const close of closers.splice(0).reverse()) {
        try {
          close();
        } catch {
          // Closing what is already gone: nothing left to undo.
        }
      }
      const stdout = Buffer.concat(run.stdout).toString("utf8");
      const stderr = Buffer.concat(run.stderr).toString("utf8") + (message && `${message}\n`);
      resolve(code === null ? { code, failure: failure!, stdout, stderr } : { code, stdout, stderr });
    };
    const run: Run = {
      stdout: [],
      stderr: [],
      exited: (code) => settle(code, undefined, ""),
      failed: (failure, message) => settle(null, failure, `labstack: ${message}`),
      onSettle: (close) => (done ? close() : closers.push(close)),
    };
    const timer = setTimeout(() => run.failed("timeout", `${what} did not finish within ${timeoutMs} ms`), timeoutMs);
    start(run);
  });
}

function runLocal(run: Run, program: string, args: readonly string[]): void {
  // Its own process group, so that a timeout also ends whatever the program started: a child that
  // holds the output pipes keeps the run open even after bash itself has exited.
  const child = spawn("bash", ["-s", "--", ...args], { stdio: ["pipe", "pipe", "pipe"], detached: true });
  let closed = false;
  run.onSettle(() => {
    if (!closed && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  });
  child.stdout.on("data", (d: Buffer) => run.stdout.push(d));
  child.stderr.on("data", (d: Buffer) => run.stderr.push(d));
  // A program may exit before bash has read all of its source: the rest is not an error.
  child.stdin.on("error", () => {});
  child.on("error", (err) => run.failed("unreachable", `could not start bash: ${err.message}`));
  child.on("close", (code, signal) => {
    closed = true;
    if (code === null) run.failed("signal", `the program was killed by ${signal}`);
    else run.exited(code);
  });
  child.stdin.end(program);
}

function runSsh(run: Run, target: SshTarget, program: string, args: readonly string[], deadline: number): void {
  const hops: SshTarget[] = [];
  for (let t: SshTarget | undefined = target; t; t = t.via) hops.unshift(t);
  const sudo = target.sudo && target.user !== "root" ? "sudo -n " : "";
  connectHop(run, hops, 0, undefined, deadline, (client) => {
    // sshd leaves a session's processes running when its connection goes, and refuses a client's
    // signal for root's sessions: the target ends the program (and its process group) itself,
    // a second after this side has given up on it. Inside sudo, so that it may end root's processes.
    const bound = `timeout -s KILL ${Math.ceil(Math.max(deadline - Date.now(), 0) / 1000) + 1}s`;
    const command = `${sudo}${bound} bash -s -- ${args.map(shellQuote).join(" ")}`.trimEnd();
    client.exec(command, (err, stream) => {
      if (err) return run.failed("unreachable", `${describe(target)} refused a session: ${err.message}`);
      execute(run, target, stream, program);
    });
  });
}

function connectHop(run: Run, hops: SshTarget[], i: number, sock: ClientChannel | undefined, deadline: number, ready: (client: Client) => void): void {
  const hop = hops[i];
  const where = i === 0 ? describe(hop) : `${describe(hop)} through ${describe(hops[i - 1])}`;
  const key = utils.parseKey(hop.privateKey);
  if (key instanceof Error) {
    run.failed("auth", `the private key for ${where} cannot be used: ${key.message}`);
    return;
  }
  const pinned = hop.hostKey === undefined ? undefined : parseHostKey(hop.hostKey);
  if (pinned instanceof Error) {
    run.failed("host-key", `the pinned host key for ${where} ${pinned.message}`);
    return;
  }
  let seenKey: Buffer | undefined;
  const config: ConnectConfig = {
    host: hop.host,
    port: hop.port,
    username: hop.user,
    privateKey: hop.privateKey,
    sock,
    // Ours is the time bound: ssh2's own would end the run with a message of its own.
    readyTimeout: deadline - Date.now() + 1000,
    // A host has a key of each type and ssh2 prefers ed25519: ask for the pinned key's type, or
    // a host pinned by its ECDSA or RSA key would show another one and be refused.
    ...(pinned && { algorithms: { serverHostKey: pinned.algorithms } }),
    ...(pinned && {
      hostVerifier: (blob: Buffer) => {
        seenKey = blob;
        return blob.equals(pinned.blob);
      },
    }),
  };
  const client = new ssh2.Client();
  // A graceful end first (the server sees a disconnect, not a reset), then no more waiting on a
  // server that does not answer.
  run.onSettle(() => {
    client.end();
    setTimeout(() => client.destroy(), CLOSE_GRACE_MS).unref();
  });
  client.on("error", (err: Error & { level?: string }) => {
    if (pinned && seenKey && !seenKey.equals(pinned.blob))
      return run.failed("host-key", `${where} presented host key ${fingerprint(seenKey)}, not the pinned ${fingerprint(pinned.blob)}`);
    if (err.level === "client-authentication") return run.failed("auth", `${where} refused the key of ${hop.user}: ${err.message}`);
    run.failed("unreachable", `could not reach ${where}: ${err.message}`);
  });
  client.on("close", () => run.failed("disconnected", `the connection to ${where} closed before the program's exit status arrived`));
  client.on("ready", () => {
    if (i === hops.length - 1) return ready(client);
    const next = hops[i + 1];
    client.forwardOut("127.0.0.1", 0, next.host, next.port, (err, stream) => {
      if (err) return run.failed("unreachable", `could not reach ${describe(next)} through ${where}: ${err.message}`);
      connectHop(run, hops, i + 1, stream, deadline, ready);
    });
  });
  try {
    client.connect(config);
  } catch (err) {
    run.failed("unreachable", `could not connect to ${where}: ${(err as Error).message}`);
  }
}

function execute(run: Run, target: SshTarget, stream: ClientChannel, program: string): void {
  let code: number | null = null;
  let signal: string | undefined;
  stream.on("data", (d: Buffer) => run.stdout.push(d));
  stream.stderr.on("data", (d: Buffer) => run.stderr.push(d));
  stream.on("exit", (exitCode: number | null, signalName?: string) => {
    code = exitCode;
    signal = signalName;
  });
  stream.on("close", () => {
    if (code !== null) return run.exited(code);
    if (signal) return run.failed("signal", `the program on ${describe(target)} was killed by ${signal}`);
    run.failed("disconnected", `${describe(target)} closed the session without an exit status`);
  });
  stream.end(program);
}

function parseHostKey(line: string): { algorithms: ServerHostKeyAlgorithm[]; blob: Buffer } | Error {
  const [type, base64] = line.trim().split(/\s+/);
  const algorithms = HOST_KEY_ALGORITHMS[type];
  if (!algorithms) return new Error(`has an unsupported type ${JSON.stringify(type)} (ed25519, ECDSA or RSA)`);
  const blob = Buffer.from(base64 ?? "", "base64");
  // The blob starts with its own type as an SSH string: a check that this is a key, not a typo.
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (length < 0 || blob.subarray(4, 4 + length).toString("latin1") !== type) return new Error("is not an authorized_keys line (type base64 [comment])");
  return { algorithms, blob };
}

// The host key algorithms that show a key of each authorized_keys type (an RSA key signs with any of three).
const HOST_KEY_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/** The key's SHA256 fingerprint as ssh-keygen -l prints it. */
function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

function describe(target: Target): string {
  return target.kind === "local" ? "this machine" : `${target.user}@${target.host}:${target.port}`;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
