// The provider's runner over SSH against real OpenSSH servers, laid out as a lab is: a namespace
// of this suite's own plays the lab host (sshd on its uplink address, reached from here), and a
// second sshd listens only on that namespace's loopback, as a node's forward does, so it is
// reached through the first as a jump host. The node's server has an ECDSA host key besides its
// ed25519 one, as a real machine has, and a user without root whose `sudo` is a stand-in that
// shows how it was called. Root only (namespaces, sshd).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionPool, type RunResult, runProgram, type SshTarget } from "../../components/provider/remote.js";
import { createNamespace, type Namespace, removeStaleNamespace, THROWAWAY_SSH } from "../helpers/netns.js";
import { type Sshd, startSshd } from "../helpers/sshd.js";

const NS = "lse-sshrun";
const LINK = 12;
const scratch = "/tmp/lse-sshrun";
const JUMP_PORT = 2222;
const NODE_PORT = 2223;
const CLOSED_PORT = 2299;
const SILENT_PORT = 2298;
const USER = "lse-sshrun";

let ns: Namespace;
let jumpSshd: Sshd;
let node: LoopbackSshd;
let jump: SshTarget;
/** The node as root, through the lab host, its ed25519 host key pinned. */
let viaJump: SshTarget;

interface LoopbackSshd {
  readonly privateKey: string;
  readonly ed25519: string;
  readonly ecdsa: string;
  stop(): void;
}

/**
 * An sshd on the namespace's loopback (startSshd dials its server from outside the namespace, which
 * cannot reach it there). Its mount namespace sees a passwd with one more user, so the machine's
 * own users stay untouched, and its sessions find the sudo stand-in first on their PATH.
 */
async function startLoopbackSshd(dir: string): Promise<LoopbackSshd> {
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "home"), { recursive: true });
  // The unprivileged user reads its authorized keys and runs the stand-in from here.
  for (const d of [scratch, dir, join(dir, "bin"), join(dir, "home")]) chmodSync(d, 0o755);
  for (const [file, type] of [
    ["client-key", "ed25519"],
    ["host-ed25519", "ed25519"],
    ["host-ecdsa", "ecdsa"],
  ])
    execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", join(dir, file)]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client-key.pub")), { mode: 0o644 });
  writeFileSync(join(dir, "passwd"), `${readFileSync("/etc/passwd", "utf8")}${USER}:x:4242:65534::${join(dir, "home")}:/bin/bash\n`);
  writeFileSync(
    join(dir, "bin", "sudo"),
    `#!/bin/sh\nprintf 'sudo stand-in:' >&2; printf ' [%s]' "$@" >&2; echo >&2\n[ "$1" = -n ] || exit 2\nshift\nexec "$@"\n`,
    {
      mode: 0o755,
    },
  );
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1:${NODE_PORT}`,
      `HostKey ${join(dir, "host-ed25519")}`,
      `HostKey ${join(dir, "host-ecdsa")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `SetEnv PATH=${join(dir, "bin")}:/usr/bin:/bin:/usr/sbin:/sbin`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "",
    ].join("\n"),
  );
  // `ip netns exec` gives the command a mount namespace of its own, so the bind stays inside it.
  const daemon = spawn(
    "ip",
    ["netns", "exec", NS, "sh", "-c", 'mount --bind "$1" /etc/passwd && exec /usr/sbin/sshd -D -e -f "$2"', "sh", join(dir, "passwd"), config],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  daemon.stderr.on("data", (d) => (log += d));
  const probe = ["netns", "exec", NS, "ssh", ...THROWAWAY_SSH, "-o", "ConnectTimeout=2", "-i", join(dir, "client-key"), "-p", String(NODE_PORT)];
  for (let i = 0; i < 50; i++) {
    if (spawnSync("ip", [...probe, `${USER}@127.0.0.1`, "true"]).status === 0)
      return {
        privateKey: readFileSync(join(dir, "client-key"), "utf8"),
        ed25519: readFileSync(join(dir, "host-ed25519.pub"), "utf8").trim(),
        ecdsa: readFileSync(join(dir, "host-ecdsa.pub"), "utf8").trim(),
        stop: () => daemon.kill(),
      };
    await new Promise((r) => setTimeout(r, 200));
  }
  daemon.kill();
  throw new Error(`sshd on ${NS}'s loopback did not answer\n${log}`);
}

/** TCP connections still open in the namespace (a run must leave none). */
function openConnections(): string[] {
  const out = execFileSync("ip", ["netns", "exec", NS, "ss", "-Htn", "state", "established"], { encoding: "utf8" });
  return out.split("\n").filter(Boolean);
}

/** A failed run's message must never carry a private key (its first line is the same in every key). */
function expectNoKey(run: RunResult): void {
  for (const key of [readFileSync(jumpSshd.host.keyFile, "utf8"), node.privateKey])
    for (const line of key.split("\n").slice(2, -2)) expect(run.stderr).not.toContain(line);
}

/** Whether a process still runs (a zombie whose parent has not reaped it yet counts as ended). */
function running(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

beforeAll(async () => {
  removeStaleNamespace(NS);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  ns = createNamespace(NS, LINK);
  jumpSshd = await startSshd(ns, ns.address, join(scratch, "jump"), JUMP_PORT);
  node = await startLoopbackSshd(join(scratch, "node"));
  jump = {
    kind: "ssh",
    host: ns.address,
    port: JUMP_PORT,
    user: "root",
    privateKey: readFileSync(jumpSshd.host.keyFile, "utf8"),
    hostKey: jumpSshd.hostKey,
  };
  viaJump = { kind: "ssh", host: "127.0.0.1", port: NODE_PORT, user: "root", privateKey: node.privateKey, hostKey: node.ed25519, via: jump };
});

afterAll(() => {
  node?.stop();
  jumpSshd?.stop();
  // Deleting the namespace would leave its processes running: end them first.
  removeStaleNamespace(NS);
  ns?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

describe("runProgram over SSH", () => {
  /** The server's count of sessions once its log has settled: an earlier test's line may still be
   * on its way (sshd's log reaches the test through a pipe, late on a busy machine). */
  async function settledSessions(): Promise<number> {
    let last = -1;
    for (let now = jumpSshd.sessions(); now !== last; now = jumpSshd.sessions()) {
      last = now;
      await new Promise((r) => setTimeout(r, 300));
    }
    return last;
  }

  it("runs the program on the pinned host with its arguments, and returns its exit code and output", async () => {
    const before = await settledSessions();
    const program = `set -u\ncat <<'EOF'\nit's "quoted" \\ $HOME\nEOF\nprintf '<%s>\\n' "$@"\necho "$SSH_CONNECTION" >&2\nexit 5\n`;
    const args = ["two words", "it's", "", "$(id)"];
    const run = await runProgram(jump, program, args);
    expect(run.code).toBe(5);
    expect(run.stdout).toBe(`it's "quoted" \\ $HOME\n${args.map((a) => `<${a}>\n`).join("")}`);
    // The server end of the session is the lab host's address and port.
    expect(run.stderr.trim().split(" ").slice(2)).toEqual([ns.address, String(JUMP_PORT)]);
    expect(await settledSessions()).toBe(before + 1);
    await expect.poll(openConnections, { timeout: 2000 }).toEqual([]);
  });

  it("refuses a host whose key is not the pinned one, before authenticating", async () => {
    const before = await settledSessions();
    const run = await runProgram({ ...jump, hostKey: node.ed25519 }, "echo ran", []);
    expect(run).toMatchObject({ code: null, failure: "host-key", stdout: "" });
    const fingerprint = (key: string) => execFileSync("ssh-keygen", ["-l", "-f", "-"], { input: key, encoding: "utf8" }).split(" ")[1];
    expect(run.stderr).toContain(
      `root@${ns.address}:${JUMP_PORT} presented host key ${fingerprint(jumpSshd.hostKey)}, not the pinned ${fingerprint(node.ed25519)}`,
    );
    expect(await settledSessions()).toBe(before);
    expectNoKey(run);
  });

  it("refuses a pinned host key that is not an authorized_keys line", async () => {
    const run = await runProgram({ ...jump, hostKey: "ssh-ed25519 bm90IGEga2V5" }, "echo ran", []);
    expect(run).toMatchObject({ code: null, failure: "host-key" });
    expect(run.stderr).toContain("is not an authorized_keys line");
  });

  it("without a pinned host key, accepts the host", async () => {
    const { hostKey: _, ...unpinned } = jump;
    expect(await runProgram(unpinned, "echo ran", [])).toEqual({ code: 0, stdout: "ran\n", stderr: "" });
  });

  it("reaches a node on the lab host's loopback through the lab host, as ProxyJump does", async () => {
    const started = performance.now();
    const run = await runProgram(viaJump, 'echo "$SSH_CONNECTION"; id -un', []);
    const ms = performance.now() - started;
    expect(run.code).toBe(0);
    // The node's server saw the session arrive on the namespace's loopback, from the loopback.
    const [client, , server, port] = run.stdout.split("\n")[0].split(" ");
    expect([client, server, port]).toEqual(["127.0.0.1", "127.0.0.1", String(NODE_PORT)]);
    expect(run.stdout.split("\n")[1]).toBe("root");
    console.log(`one run through the jump host: ${ms.toFixed(0)} ms`);
    await expect.poll(openConnections, { timeout: 2000 }).toEqual([]);
  });

  it("asks a host with several host keys for the pinned one's type (an ECDSA pin on a host that prefers ed25519)", async () => {
    expect(await runProgram({ ...viaJump, hostKey: node.ecdsa }, "echo ecdsa", [])).toEqual({ code: 0, stdout: "ecdsa\n", stderr: "" });
  });

  it("checks the pinned key of the inner host too", async () => {
    const run = await runProgram({ ...viaJump, hostKey: jumpSshd.hostKey }, "echo ran", []);
    expect(run).toMatchObject({ code: null, failure: "host-key", stdout: "" });
    expect(run.stderr).toContain(`root@127.0.0.1:${NODE_PORT} through root@${ns.address}:${JUMP_PORT} presented host key`);
  });

  it("runs through `sudo -n` for a user other than root when asked, and only then", async () => {
    const asUser: SshTarget = { ...viaJump, user: USER };
    const sudo = await runProgram({ ...asUser, sudo: true }, "id -un", ["a b", "c"]);
    expect(sudo).toMatchObject({ code: 0, stdout: `${USER}\n` });
    expect(sudo.stderr).toMatch(/^sudo stand-in: \[-n\] \[timeout\] \[-s\] \[KILL\] \[\d+s\] \[bash\] \[-s\] \[--\] \[a b\] \[c\]\n$/);
    expect(await runProgram(asUser, "id -un", [])).toEqual({ code: 0, stdout: `${USER}\n`, stderr: "" });
    expect(await runProgram({ ...viaJump, sudo: true }, "id -un", [])).toEqual({ code: 0, stdout: "root\n", stderr: "" });
  });

  it("reports a key the server refuses as an authentication failure", async () => {
    const run = await runProgram({ ...viaJump, privateKey: jump.privateKey }, "echo ran", []);
    expect(run).toMatchObject({ code: null, failure: "auth", stdout: "" });
    expect(run.stderr).toContain(`root@127.0.0.1:${NODE_PORT} through root@${ns.address}:${JUMP_PORT} refused the key of root`);
    expectNoKey(run);
  });

  it("reports a private key it cannot read without printing it", async () => {
    const garbled = node.privateKey.replace(/\n(.)/, "\nX$1");
    const run = await runProgram({ ...jump, privateKey: garbled }, "echo ran", []);
    expect(run).toMatchObject({ code: null, failure: "auth" });
    expect(run.stderr).toContain(`the private key for root@${ns.address}:${JUMP_PORT} cannot be used`);
    expect(run.stderr).not.toContain(garbled.split("\n")[1]);
    expectNoKey(run);
  });

  it("reports a closed port as unreachable, directly and through the jump host, at once", async () => {
    const started = Date.now();
    const direct = await runProgram({ ...jump, port: CLOSED_PORT }, "echo ran", []);
    expect(direct).toMatchObject({ code: null, failure: "unreachable", stdout: "" });
    expect(direct.stderr).toContain(`could not reach root@${ns.address}:${CLOSED_PORT}: connect ECONNREFUSED`);
    const through = await runProgram({ ...viaJump, port: CLOSED_PORT }, "echo ran", []);
    expect(through).toMatchObject({ code: null, failure: "unreachable", stdout: "" });
    expect(through.stderr).toContain(`could not reach root@127.0.0.1:${CLOSED_PORT} through root@${ns.address}:${JUMP_PORT}`);
    expect(Date.now() - started).toBeLessThan(3000);
    expectNoKey(through);
    await expect.poll(openConnections, { timeout: 2000 }).toEqual([]);
  });

  it("tells a program killed by a signal and a dropped connection from an exit code", async () => {
    const killed = await runProgram(viaJump, "echo before; kill -9 $$", []);
    expect(killed).toMatchObject({ code: null, failure: "signal", stdout: "before\n" });
    expect(killed.stderr).toContain("killed by SIGKILL");
    // The session's own sshd process going away drops the connection without an exit status.
    const sshdAbove = 'p=$$; while [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(cut -d" " -f4 /proc/$p/stat); done; kill -9 $p; sleep 5';
    const dropped = await runProgram(jump, sshdAbove, [], { timeoutMs: 4000 });
    expect(dropped).toMatchObject({ code: null, failure: "disconnected" });
  });

  it("ends a run at its time bound, closes its connections, and the target ends the program and what it started", async () => {
    const started = Date.now();
    const run = await runProgram(viaJump, "echo $$; sleep 30 & echo $!; wait", [], { timeoutMs: 1500 });
    const elapsed = Date.now() - started;
    expect(run).toMatchObject({ code: null, failure: "timeout" });
    expect(run.stderr).toContain(`root@127.0.0.1:${NODE_PORT} did not finish within 1500 ms`);
    expect(elapsed).toBeLessThan(2500);
    const pids = run.stdout.trim().split("\n");
    expect(pids).toHaveLength(2);
    await expect.poll(openConnections, { timeout: 2000 }).toEqual([]);
    // A second after this side gave up (the bound is whole seconds).
    await expect.poll(() => pids.filter(running), { timeout: 4000 }).toEqual([]);
  });

  it("ends a run whose handshake never completes at its time bound", async () => {
    // A server that accepts the connection and never says a word.
    const silent = spawn(
      "ip",
      ["netns", "exec", NS, process.execPath, "-e", `require("net").createServer(() => {}).listen(${SILENT_PORT}, "${ns.address}", () => console.log("up"))`],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      await new Promise((resolve) => silent.stdout!.once("data", resolve));
      const started = Date.now();
      const run = await runProgram({ ...jump, port: SILENT_PORT }, "echo ran", [], { timeoutMs: 1000 });
      expect(run).toMatchObject({ code: null, failure: "timeout" });
      expect(run.stderr).toContain(`root@${ns.address}:${SILENT_PORT} did not finish within 1000 ms`);
      expect(Date.now() - started).toBeLessThan(2000);
      await expect.poll(openConnections, { timeout: 2000 }).toEqual([]);
    } finally {
      silent.kill();
    }
  });
});

describe("runs sharing a connection pool", () => {
  /** Established connections in the namespace whose local end is `port`: the servers' ends. */
  const servedOn = (port: number) => openConnections().filter((line) => line.split(/\s+/)[2]?.endsWith(`:${port}`)).length;

  it("ride one login per target, the nodes' through one to the lab host, more at once than a server's sessions, and end with the pool", async () => {
    const pool = connectionPool();
    const asUser: SshTarget = { ...viaJump, user: USER, sudo: true };
    try {
      // Twelve as root at once, more than one connection carries (sshd's MaxSessions is 10): the
      // rest wait their turn. Two as the user, through sudo: a login of their own.
      const runs = await Promise.all(
        Array.from({ length: 14 }, (_, i) => runProgram(i >= 12 ? asUser : viaJump, 'sleep 0.5; echo "$1 $(id -un)"', [`run${i}`], { pool })),
      );
      runs.forEach((run, i) => {
        expect(run).toMatchObject({ code: 0, stdout: `run${i} ${i >= 12 ? USER : "root"}\n` });
      });
      // A connection per login on the node, one to the lab host for both.
      expect(servedOn(JUMP_PORT)).toBe(1);
      expect(servedOn(NODE_PORT)).toBe(2);
      const direct = await runProgram(jump, "echo direct", [], { pool });
      expect(direct).toMatchObject({ code: 0, stdout: "direct\n" });
      expect(servedOn(JUMP_PORT)).toBe(1);
    } finally {
      pool.close();
    }
    await expect.poll(openConnections, { timeout: 3000 }).toEqual([]);
  });

  it("a run that ends at its time bound closes its own session only", async () => {
    const pool = connectionPool();
    try {
      const [stuck, other] = await Promise.all([
        runProgram(viaJump, "sleep 30", [], { timeoutMs: 1500, pool }),
        runProgram(viaJump, "sleep 3; echo other", [], { timeoutMs: 10_000, pool }),
      ]);
      expect(stuck).toMatchObject({ code: null, failure: "timeout" });
      expect(other).toMatchObject({ code: 0, stdout: "other\n" });
      expect(await runProgram(viaJump, "echo after", [], { pool })).toMatchObject({ code: 0, stdout: "after\n" });
      expect(servedOn(NODE_PORT)).toBe(1);
    } finally {
      pool.close();
    }
  });

  it("a shared connection that dropped is made again by the next run", async () => {
    const pool = connectionPool();
    try {
      const sshdAbove = 'p=$$; while [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(cut -d" " -f4 /proc/$p/stat); done; kill -9 $p; sleep 5';
      expect(await runProgram(jump, sshdAbove, [], { timeoutMs: 4000, pool })).toMatchObject({ code: null, failure: "disconnected" });
      expect(await runProgram(jump, "echo again", [], { pool })).toMatchObject({ code: 0, stdout: "again\n" });
    } finally {
      pool.close();
    }
  });

  it("tells every run waiting on a connection why it could not be made", async () => {
    const pool = connectionPool();
    try {
      const runs = await Promise.all([1, 2, 3].map(() => runProgram({ ...viaJump, hostKey: jumpSshd.hostKey }, "echo ran", [], { pool })));
      for (const run of runs) {
        expect(run).toMatchObject({ code: null, failure: "host-key", stdout: "" });
        expect(run.stderr).toContain(`root@127.0.0.1:${NODE_PORT} through root@${ns.address}:${JUMP_PORT} presented host key`);
      }
    } finally {
      pool.close();
    }
    await expect.poll(openConnections, { timeout: 3000 }).toEqual([]);
  });
});
