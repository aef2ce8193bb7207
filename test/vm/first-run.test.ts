// A new user's first run: the README's first command, literally, on a clean clone, by an account
// with an empty home and no `pulumi` anywhere, on a machine whose only way out is a package mirror
// (the namespace's link to the CI's APT cache). It must end with the dev lab's checks green and
// the `next` steps printed; verify and the plain `pulumi destroy -s dev` the README promises then
// work, and none of it ever changes a tracked file (`git status` stays clean: a `git pull` never
// conflicts with the learner's lab). The engine build and the built image come from the shared
// cache, so CI compiles nothing twice.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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

/** The README's first command, as a reader would copy it: its first code block's first line. */
function readmeFirstCommand(): string {
  const block = readFileSync(join(CLONE, "README.md"), "utf8").match(/```sh\n([^\n]*)\n/);
  if (!block) throw new Error("README.md has no ```sh code block");
  return block[1].replace(/\s+#.*$/, "").trim();
}

function removeStale(): void {
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
  /** Plain `pulumi` afterwards, in a new shell that ran the export line the first run printed. */
  const pulumi = (args: string) => sh(`export ${exports}; pulumi ${args}`);
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
    first = await sh(command);
    up = true;
    // Printed also after a failed up, so that afterAll can destroy what it made.
    exports = first.stdout.match(/first: export (.*)$/m)?.[1] ?? "";
    console.log(JSON.stringify({ figure: "first_run", command, value: Math.round(first.seconds), unit: "s" }));
    expect(first.status, failure(first)).toBe(0);
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
