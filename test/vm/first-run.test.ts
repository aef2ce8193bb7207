// A new user's first run: the README's first command, literally, on a clean clone, by an account
// with an empty home and no `pulumi` anywhere, on a machine whose only way out is a package mirror
// (the namespace's link to the CI's APT cache). It must end with the dev lab's checks green and
// the `next` steps printed; verify and the plain `pulumi destroy -s dev` the README promises then
// work, as do the next steps it prints and a fresh start from the lab's `ready` checkpoint; none of
// it ever changes a tracked file (`git status` stays clean: a `git pull` never
// conflicts with the learner's lab). The engine build and the built image come from the shared
// cache, so CI compiles nothing twice. The first command runs in a terminal (tmux, 120x40), as a
// reader runs it: Pulumi's live display and labstack's progress lines are what they see, and the
// screen is captured as the run goes (printed, and kept in the suite's folder).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstreamCache } from "../helpers/cache.js";
import { cleanStale, SCRATCH_ROOT } from "../helpers/engineLab.js";
import { ROOT } from "../helpers/labs.js";
import { createNamespace, type Namespace, namespaceLinks } from "../helpers/netns.js";
import { expectOpenStackChecksGreen, OPENSTACK_NODES } from "../helpers/openstackChecks.js";

const SUITE = "firstrun";
const LINK = 5;
const NS = `lse-${SUITE}`;
const SCRATCH = join(SCRATCH_ROOT, SUITE);
const HOME = join(SCRATCH, "home");
const CLONE = join(SCRATCH, "clone");
// `ip netns exec` bind-mounts the files of this folder over /etc's (see setAccountHome).
const NETNS_ETC = join("/etc/netns", NS);
// The suite's own tmux server (its socket name is the marker a later run finds it by).
const TMUX = ["-L", NS, "-f", "/dev/null"];
const SCREENS = join(SCRATCH, "first-run-screens.txt");

/** The README's first command, as a reader would copy it: its first code block's first line. */
function readmeFirstCommand(): string {
  const block = readFileSync(join(CLONE, "README.md"), "utf8").match(/```sh\n([^\n]*)\n/);
  if (!block) throw new Error("README.md has no ```sh code block");
  return block[1].replace(/\s+#.*$/, "").trim();
}

function removeStale(): void {
  spawnSync("tmux", [...TMUX, "kill-server"], { stdio: "ignore" });
  cleanStale(SUITE, LINK);
  rmSync(NETNS_ETC, { recursive: true, force: true });
}

/** Pulumi (Go's os/user: its state folder and `file://~`) and ssh take the home folder from the
 * account database, not from $HOME. Inside the namespace the account's home is the empty scratch
 * home, so the run starts from nothing and never touches the real user's ~/.pulumi. */
function setAccountHome(): void {
  const uid = userInfo().uid;
  const passwd = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((line) => {
      const f = line.split(":");
      if (f[2] === String(uid)) f[5] = HOME;
      return f.join(":");
    })
    .join("\n");
  mkdirSync(NETNS_ETC, { recursive: true });
  writeFileSync(join(NETNS_ETC, "passwd"), passwd);
}

/** The clone the user would make. `git clone` takes committed HEAD only, so while the work tree
 * has changes (the lead commits between runs) the files git would commit are copied into a new
 * repository instead. */
function cloneRepository(): void {
  const dirty = execFileSync("git", ["--no-optional-locks", "status", "--porcelain"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
  if (!dirty) {
    execFileSync("git", ["clone", "-q", ROOT, CLONE]);
    return;
  }
  mkdirSync(CLONE);
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f && existsSync(join(ROOT, f)));
  execFileSync("tar", ["-cf", join(SCRATCH, "clone.tar"), ...files], { cwd: ROOT });
  execFileSync("tar", ["-xf", join(SCRATCH, "clone.tar")], { cwd: CLONE });
  const git = ["-c", "user.name=labstack", "-c", "user.email=labstack@example.invalid"];
  execFileSync("git", ["init", "-q"], { cwd: CLONE });
  execFileSync("git", ["add", "-A"], { cwd: CLONE });
  execFileSync("git", [...git, "commit", "-qm", "clone"], { cwd: CLONE });
}

/** What the lab changed of the clone's tracked files: nothing, ever. */
function trackedChanges(): string {
  return execFileSync("git", ["--no-optional-locks", "status", "--porcelain"], { cwd: CLONE, encoding: "utf8" });
}

/** The new user's environment: nothing of Pulumi's, no `pulumi` on PATH; npm installs from the
 * machine's npm cache and the engine build and images come from the machine's labstack cache
 * (no network for either); http_proxy is the way to the package mirror, as on a classroom machine. */
function userEnvironment(ns: Namespace): Record<string, string> {
  const path = (process.env.PATH ?? "").split(delimiter).filter((d) => d && !existsSync(join(d, "pulumi")));
  return {
    PATH: path.join(delimiter),
    HOME,
    LANG: "C.UTF-8",
    npm_config_offline: "true",
    npm_config_cache: execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim(),
    LABSTACK_CACHE: process.env.LABSTACK_CACHE ?? join(homedir(), ".cache", "labstack"),
    http_proxy: `http://${ns.uplinkAddress}:3142`,
  };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

describe.sequential("first run: the README's first command on a clean clone", () => {
  let ns: Namespace;
  let stopCache: (() => void) | undefined;
  let env: Record<string, string>;
  let first: Run;
  let exports = "";
  let up = false;

  /** A shell command as the new user, in the namespace, in the clone. */
  const sh = (command: string): Promise<Run> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn("ip", ["netns", "exec", NS, "bash", "-c", command], { cwd: CLONE, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
    });
  /** A command as the new user types it in a terminal: the visible screen is captured every few
   * seconds while it runs (each new one kept); its output is the terminal's whole history. */
  const inTerminal = async (command: string): Promise<Run & { screens: string[] }> => {
    const started = performance.now();
    const statusFile = join(SCRATCH, "first.status");
    rmSync(statusFile, { force: true });
    const tmux = (...args: string[]) => spawnSync("tmux", [...TMUX, ...args], { env, encoding: "utf8" });
    // The account's home must be the new user's (setAccountHome) before anything runs: a shell
    // without it would find Pulumi's state in the real home, or wait at Pulumi's login prompt.
    const inner = `[ "$(getent passwd "$(id -u)" | cut -d: -f6)" = "$HOME" ] || { echo "the terminal's account home is not $HOME"; echo 97 > ${statusFile}; exit; }; cd ${CLONE} && ${command}; echo $? > ${statusFile}`;
    // The server starts in the namespace (with its /etc files), and the session's shell with it.
    const made = spawnSync("ip", ["netns", "exec", NS, "tmux", ...TMUX, "new-session", "-d", "-x", "120", "-y", "40", "-s", "first", "bash", "-c", inner], {
      env,
      encoding: "utf8",
    });
    if (made.status !== 0) throw new Error(`tmux: ${made.stderr}`);
    tmux("set-option", "-g", "history-limit", "200000");
    tmux("set-option", "-g", "remain-on-exit", "on");
    const screens: string[] = [];
    while (!existsSync(statusFile)) {
      await new Promise((r) => setTimeout(r, 5000));
      const screen = tmux("capture-pane", "-p", "-t", "first").stdout.trimEnd();
      if (screen !== "" && screen !== screens.at(-1)) {
        screens.push(screen);
        appendFileSync(SCREENS, `--- ${Math.round((performance.now() - started) / 1000)} s\n${screen}\n`);
      }
    }
    const stdout = tmux("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "first").stdout;
    tmux("kill-server");
    return { status: Number(readFileSync(statusFile, "utf8")), stdout, stderr: "", seconds: (performance.now() - started) / 1000, screens };
  };
  /** Plain `pulumi` afterwards, in a new shell that ran the export line the first run printed. */
  const pulumi = (args: string) => sh(`export ${exports}; pulumi ${args}`);
  /** How far a node's clock is from this host's: 0 when its `date` falls within the ssh call. */
  const clockOffset = async (node: string): Promise<number> => {
    const before = Date.now() / 1000;
    const r = await sh(`ssh ${node} date +%s.%N`);
    const after = Date.now() / 1000;
    const time = Number(r.stdout.trim());
    if (r.status !== 0 || Number.isNaN(time)) throw new Error(`ssh ${node} date: ${r.stdout}${r.stderr}`);
    return time < before ? time - before : time > after ? time - after : 0;
  };
  /** After a resume every node has the host's time, to a second or so (a loaded guest can take a moment to set it), not the time the step was sent. */
  const expectClocksSet = async () => {
    for (const node of OPENSTACK_NODES) expect(Math.abs(await clockOffset(node)), `${node}'s clock against the host's, in s`).toBeLessThan(1.5);
  };
  const failure = (r: Run) => `exit ${r.status}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-6000)}`;

  beforeAll(() => {
    removeStale();
    mkdirSync(HOME, { recursive: true, mode: 0o700 });
    ns = createNamespace(NS, LINK);
    stopCache = startUpstreamCache(ns.uplinkAddress);
    setAccountHome();
    cloneRepository();
    env = userEnvironment(ns);
  });

  afterAll(async () => {
    if (up) await pulumi("destroy --yes -s dev").catch(() => undefined);
    stopCache?.();
    removeStale();
  });

  it("starts from an account with nothing of Pulumi's", async () => {
    const r = await sh('command -v pulumi || echo "no pulumi"; echo "home=$(getent passwd "$(id -u)" | cut -d: -f6)"; ls -A "$HOME" | wc -l');
    expect(r.stdout).toBe(`no pulumi\nhome=${HOME}\n0\n`);
  });

  it("brings the dev lab up with every check green and says what to do next", async () => {
    const command = readmeFirstCommand();
    const terminal = await inTerminal(command);
    first = terminal;
    up = true;
    // Printed also after a failed up, so that afterAll can destroy what it made.
    exports = first.stdout.match(/first: export (.*)$/m)?.[1] ?? "";
    console.log(JSON.stringify({ figure: "first_run", command, value: Math.round(first.seconds), unit: "s" }));
    console.log(
      `the first run's screens, as the reader saw them (all in ${SCREENS}):\n${terminal.screens.filter((_, i, all) => i % Math.ceil(all.length / 6) === 0 || i === all.length - 1).join("\n---\n")}`,
    );
    expect(first.status, failure(first)).toBe(0);
    // The reader saw it go: the engine's live display with resources being created, labstack's
    // progress lines while it waits, and the end.
    expect(terminal.screens.length).toBeGreaterThan(5);
    expect(terminal.screens.some((screen) => /creating \(\d+s\)/.test(screen))).toBe(true);
    expect(terminal.screens.some((screen) => /labstack: /.test(screen))).toBe(true);
    expect(terminal.screens.at(-1)).toContain("To drive this lab with plain pulumi from a new shell");
    expect(first.stdout).toMatch(/^Lab dev is up\. Next:$/m);
    expect(first.stdout).toContain("\n  npx labstack ssh-config dev ");
    for (const node of OPENSTACK_NODES) expect(first.stdout).toContain(`\n  ssh ${node}\n`);

    const passphrase = join(HOME, ".config", "labstack", "passphrase");
    expect(statSync(passphrase).mode & 0o777).toBe(0o600);
    expect(exports).toContain(`PULUMI_CONFIG_PASSPHRASE_FILE=${passphrase}`);

    const out = await pulumi("stack output checks --json --show-secrets -s dev");
    expect(out.status, failure(out)).toBe(0);
    expectOpenStackChecksGreen(JSON.parse(out.stdout));
    expect(trackedChanges()).toBe("");
  });

  it("the next steps work as printed: ssh-config once, then plain `ssh controller`, with the posts' NIC names", async () => {
    expect(first?.status).toBe(0);
    const config = await sh(`export ${exports}; npx labstack ssh-config dev`);
    expect(config.status, failure(config)).toBe(0);
    // The account's home is the new user's (see setAccountHome): ssh reads its ~/.ssh/config there.
    const mgmt = await sh("ssh controller ip -br addr show enp0s8");
    expect(mgmt.status, failure(mgmt)).toBe(0);
    expect(mgmt.stdout).toMatch(/^enp0s8\s+UP\s+192\.168\.1\.11\/24/);
    const nics = await sh("ssh compute1 ls /sys/class/net");
    expect(nics.stdout.split(/\s+/)).toEqual(expect.arrayContaining(["enp0s3", "enp0s8", "enp0s9"]));
    expect(trackedChanges()).toBe("");
  });

  it("starts over from the `ready` checkpoint the lab keeps itself, as the README says", async () => {
    expect(first?.status).toBe(0);
    const broken = await sh("ssh controller 'sudo systemctl stop memcached && echo mine > notes.txt'");
    expect(broken.status, failure(broken)).toBe(0);
    const restore = await sh(`export ${exports}; npx labstack checkpoint restore dev ready`);
    expect(restore.status, failure(restore)).toBe(0);
    expect(restore.stdout).toContain("restored checkpoint ready of controller, compute1, compute2");
    expect(restore.stdout).toMatch(/every check green \(\d+\)/);
    console.log(JSON.stringify({ figure: "first_run_restore_ready", value: Math.round(restore.seconds), unit: "s" }));
    // Where the seconds went: each phase and each check says how long it took.
    console.log(restore.stdout);
    await expectClocksSet();
    expect((await sh("ssh controller systemctl is-active memcached")).stdout.trim()).toBe("active");
    expect((await sh("ssh controller 'test -e notes.txt && echo kept || echo gone'")).stdout.trim()).toBe("gone");
    expect(trackedChanges()).toBe("");
  });

  it("done for the day, as printed: stop gives everything of the lab back, start resumes it in place, checks green", async () => {
    expect(first?.status).toBe(0);
    expect((await sh("ssh controller 'echo evening > notes.txt'")).status).toBe(0);
    const stop = await sh(`export ${exports}; npx labstack stop dev`);
    expect(stop.status, failure(stop)).toBe(0);
    const stateDir = join(HOME, ".local", "share", "labstack", "dev");
    expect(spawnSync("pgrep", ["-f", stateDir]).status, "a process of the stopped lab").toBe(1);
    const start = await sh(`export ${exports}; npx labstack start dev`);
    expect(start.status, failure(start)).toBe(0);
    expect(start.stdout).toContain("labstack: changed resumed controller where it was stopped");
    expect(start.stdout).not.toContain("pulumi up --refresh");
    expect(start.stdout).toMatch(/every check green \(\d+\)/);
    console.log(JSON.stringify({ figure: "first_run_lab_start", value: Math.round(start.seconds), unit: "s" }));
    console.log(start.stdout);
    await expectClocksSet();
    // Where it was: the learner's file, and the stack has nothing to do.
    expect((await sh("ssh controller cat notes.txt")).stdout.trim()).toBe("evening");
    expect((await pulumi("up --yes -s dev")).stdout).toMatch(/\d+ unchanged/);
    expect(trackedChanges()).toBe("");
  });

  it("stopped before the PC reboots, started after it: back from its saved state through the engine, not booted again", async () => {
    expect(first?.status).toBe(0);
    const bootId = async () => (await sh("ssh controller cat /proc/sys/kernel/random/boot_id")).stdout.trim();
    const before = await bootId();
    expect(before).toMatch(/^[0-9a-f-]{36}$/);
    const stop = await sh(`export ${exports}; npx labstack stop dev`);
    expect(stop.status, failure(stop)).toBe(0);
    // The reboot: what lived in memory is gone (the stopped lab left no process), and with it
    // every bridge and tap; the disks, with the VMs' saved state, stay.
    const stateDir = join(HOME, ".local", "share", "labstack", "dev");
    expect(spawnSync("pgrep", ["-f", stateDir]).status, "a process of the stopped lab").toBe(1);
    for (const link of namespaceLinks(ns)) spawnSync("ip", ["-n", ns.name, "link", "del", link]);
    expect(namespaceLinks(ns)).toEqual([]);
    const start = await sh(`export ${exports}; npx labstack start dev`);
    expect(start.status, failure(start)).toBe(0);
    // The in-place resume sees the taps and the cache's address gone and hands over to the engine
    // at once (it used to wait for the cache to listen where it could not).
    expect(start.stdout).toContain("is on no interface of this host (its bridge is gone: did the host reboot?)");
    expect(start.stdout).toContain("resuming through the engine: pulumi up --refresh");
    expect(start.stdout).toMatch(/every check green \(\d+\)/);
    console.log(JSON.stringify({ figure: "first_run_start_after_reboot", value: Math.round(start.seconds), unit: "s" }));
    console.log(start.stdout);
    expect(await bootId()).toBe(before);
    expect((await sh("ssh controller cat notes.txt")).stdout.trim()).toBe("evening");
    expect((await pulumi("up --yes -s dev")).stdout).toMatch(/\d+ unchanged/);
    expect(trackedChanges()).toBe("");
  });

  it("verify checks the lab again and writes no tracked file", async () => {
    expect(first?.status).toBe(0);
    const verify = await sh(`export ${exports}; npm run verify -- dev`);
    expect(verify.status, failure(verify)).toBe(0);
    expect(verify.stdout).toMatch(/What verify repaired on dev \(and \d+ checks run again\):\n {2}nothing/);
    expect(trackedChanges()).toBe("");
  });

  it("plain pulumi destroy -s dev then removes everything", async () => {
    expect(first?.status).toBe(0);
    const destroy = await pulumi("destroy --yes -s dev");
    expect(destroy.status, failure(destroy)).toBe(0);
    up = false;
    console.log(JSON.stringify({ figure: "first_run_destroy", value: Math.round(destroy.seconds), unit: "s" }));
    const stateDir = join(HOME, ".local", "share", "labstack", "dev");
    expect(spawnSync("pgrep", ["-f", stateDir]).status).toBe(1);
    expect(namespaceLinks(ns)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    const exported = await pulumi("stack export -s dev");
    expect(exported.status, failure(exported)).toBe(0);
    expect(JSON.parse(exported.stdout).deployment.resources ?? []).toEqual([]);
    expect(trackedChanges()).toBe("");
  });
});
