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
  /** Connections to share with the other runs given the same pool, instead of one of its own. */
  readonly pool?: ConnectionPool;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const CLOSE_GRACE_MS = 1000;

/** Runs `program` (bash source, sent on stdin) with `args` as its positional parameters on `target`. */
export function runProgram(target: Target, program: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return bounded(timeoutMs, describe(target), (run) =>
    target.kind === "local" ? runLocal(run, program, args) : runSsh(run, target, program, args, Date.now() + timeoutMs, opts.pool as Pool | undefined),
  );
}

/**
 * SSH connections shared by the runs given the pool: a command's clock steps and checks on a node
 * ride one login each, and the nodes behind a lab host one connection to it. Under emulation a
 * login costs the guest seconds of CPU (sshd's re-exec, the key exchange, PAM, logind's session),
 * and a `start` logs into every node once for its clocks and once for each check. A connection
 * that fails or drops is made again by the next run that needs it; `close()` ends them all.
 */
export interface ConnectionPool {
  close(): void;
}

export function connectionPool(): ConnectionPool {
  return new Pool();
}

/** Sessions one shared connection carries at once: sshd's MaxSessions is 10 by default. */
const CHANNELS_PER_CONNECTION = 8;

/** What a connection attempt reports to: a run, or a shared connection's waiters. */
type Attempt = Pick<Run, "failed" | "onSettle">;

interface Shared {
  readonly client: Promise<Client>;
  /** Sessions open on it, and runs waiting for one. */
  channels: number;
  readonly waiting: (() => void)[];
}

interface AttemptFailure {
  readonly failure: RunFailure;
  readonly message: string;
}

class Pool implements ConnectionPool {
  private readonly shared = new Map<string, Shared>();
  private readonly closers: (() => void)[] = [];
  private closed = false;

  /** The connection to the last of `hops`, through the connections to the ones before it. */
  connection(hops: readonly SshTarget[], deadline: number): Shared {
    const key = hops.map(hopKey).join(" > ");
    const known = this.shared.get(key);
    if (known !== undefined) return known;
    const i = hops.length - 1;
    let connected!: (client: Client) => void;
    let refused!: (failure: AttemptFailure) => void;
    const client = new Promise<Client>((resolve, reject) => {
      connected = resolve;
      refused = reject;
    });
    // Its runs hear of a failure through their own handlers.
    client.catch(() => {});
    const entry: Shared = { client, channels: 0, waiting: [] };
    // In the pool before the attempt starts, so that one failing at once (an unusable key) leaves it too.
    this.shared.set(key, entry);
    const attempt: Attempt = {
      failed: (failure, message) => {
        // Failed before it was ready, or dropped after: the next run connects again.
        if (this.shared.get(key) === entry) this.shared.delete(key);
        refused({ failure, message });
      },
      onSettle: (close) => (this.closed ? close() : this.closers.push(close)),
    };
    if (i === 0) connectHop(attempt, hops, 0, undefined, deadline, connected);
    else
      this.connection(hops.slice(0, i), deadline).client.then(
        (via) => forward(attempt, via, hops, i - 1, (stream) => connectHop(attempt, hops, i, stream, deadline, connected)),
        (f: AttemptFailure) => attempt.failed(f.failure, f.message),
      );
    return entry;
  }

  /** `start` once `entry` has a session free for `run`; the session is given back when the run settles. */
  session(entry: Shared, run: Run, start: () => void): void {
    if (run.settled()) {
      this.next(entry);
      return;
    }
    if (entry.channels >= CHANNELS_PER_CONNECTION) {
      entry.waiting.push(() => this.session(entry, run, start));
      return;
    }
    entry.channels++;
    run.onSettle(() => {
      entry.channels--;
      this.next(entry);
    });
    start();
  }

  private next(entry: Shared): void {
    entry.waiting.shift()?.();
  }

  close(): void {
    this.closed = true;
    this.shared.clear();
    for (const close of this.closers.splice(0).reverse()) {
      try {
        close();
      } catch {
        // Already gone.
      }
    }
  }
}

/** A hop's identity: a connection made as one user with one key to one host serves only that. */
const hopKey = (hop: SshTarget) => `${hop.user}@${hop.host}:${hop.port} ${createHash("sha256").update(hop.privateKey).digest("hex")} ${hop.hostKey ?? ""}`;

/** One run in progress: collects output, settles once, and undoes whatever was opened. */
interface Run {
  readonly stdout: Buffer[];
  readonly stderr: Buffer[];
  exited(code: number): void;
  failed(failure: RunFailure, message: string): void;
  onSettle(close: () => void): void;
  settled(): boolean;
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
      settled: () => done,
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

function runSsh(run: Run, target: SshTarget, program: string, args: readonly string[], deadline: number, pool: Pool | undefined): void {
  const hops: SshTarget[] = [];
  for (let t: SshTarget | undefined = target; t; t = t.via) hops.unshift(t);
  const sudo = target.sudo && target.user !== "root" ? "sudo -n " : "";
  const exec = (client: Client) => {
    // sshd leaves a session's processes running when its connection goes, and refuses a client's
    // signal for root's sessions: the target ends the program (and its process group) itself,
    // a second after this side has given up on it. Inside sudo, so that it may end root's processes.
    const bound = `timeout -s KILL ${Math.ceil(Math.max(deadline - Date.now(), 0) / 1000) + 1}s`;
    const command = `${sudo}${bound} bash -s -- ${args.map(shellQuote).join(" ")}`.trimEnd();
    const opened = (err: Error | undefined, stream: ClientChannel) => {
      if (err) return run.failed("unreachable", `${describe(target)} refused a session: ${err.message}`);
      // On a shared connection the run's end closes its session only.
      if (pool !== undefined) run.onSettle(() => stream.close());
      execute(run, target, stream, program);
    };
    try {
      client.exec(command, opened);
    } catch (err) {
      // A shared connection that dropped a moment ago.
      run.failed("disconnected", `the connection to ${describe(target)} closed before the program started: ${(err as Error).message}`);
    }
  };
  if (pool === undefined) {
    connectChain(run, hops, deadline, exec);
    return;
  }
  const entry = pool.connection(hops, deadline);
  entry.client.then(
    (client) => pool.session(entry, run, () => exec(client)),
    (f: AttemptFailure) => run.failed(f.failure, f.message),
  );
}

/** Connects to every hop in turn, each through the one before. */
function connectChain(attempt: Attempt, hops: readonly SshTarget[], deadline: number, ready: (client: Client) => void): void {
  const next = (i: number, sock?: ClientChannel) =>
    connectHop(attempt, hops, i, sock, deadline, (client) => {
      if (i === hops.length - 1) return ready(client);
      forward(attempt, client, hops, i, (stream) => next(i + 1, stream));
    });
  next(0);
}

/** A channel from hop `i` to hop `i + 1`, as ProxyJump opens it. */
function forward(attempt: Attempt, client: Client, hops: readonly SshTarget[], i: number, next: (stream: ClientChannel) => void): void {
  const to = hops[i + 1];
  client.forwardOut("127.0.0.1", 0, to.host, to.port, (err, stream) => {
    if (err) return attempt.failed("unreachable", `could not reach ${describe(to)} through ${hopName(hops, i)}: ${err.message}`);
    next(stream);
  });
}

const hopName = (hops: readonly SshTarget[], i: number) => (i === 0 ? describe(hops[0]) : `${describe(hops[i])} through ${describe(hops[i - 1])}`);

/** The connection to hop `i` (over `sock`, a channel through the hop before), handed to `ready`. */
function connectHop(
  attempt: Attempt,
  hops: readonly SshTarget[],
  i: number,
  sock: ClientChannel | undefined,
  deadline: number,
  ready: (client: Client) => void,
): void {
  const hop = hops[i];
  const where = hopName(hops, i);
  const key = utils.parseKey(hop.privateKey);
  if (key instanceof Error) {
    attempt.failed("auth", `the private key for ${where} cannot be used: ${key.message}`);
    return;
  }
  const pinned = hop.hostKey === undefined ? undefined : parseHostKey(hop.hostKey);
  if (pinned instanceof Error) {
    attempt.failed("host-key", `the pinned host key for ${where} ${pinned.message}`);
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
  attempt.onSettle(() => {
    client.end();
    setTimeout(() => client.destroy(), CLOSE_GRACE_MS).unref();
  });
  client.on("error", (err: Error & { level?: string }) => {
    if (pinned && seenKey && !seenKey.equals(pinned.blob))
      return attempt.failed("host-key", `${where} presented host key ${fingerprint(seenKey)}, not the pinned ${fingerprint(pinned.blob)}`);
    if (err.level === "client-authentication") return attempt.failed("auth", `${where} refused the key of ${hop.user}: ${err.message}`);
    attempt.failed("unreachable", `could not reach ${where}: ${err.message}`);
  });
  client.on("close", () => attempt.failed("disconnected", `the connection to ${where} closed before the program's exit status arrived`));
  client.on("ready", () => ready(client));
  try {
    client.connect(config);
  } catch (err) {
    attempt.failed("unreachable", `could not connect to ${where}: ${(err as Error).message}`);
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
