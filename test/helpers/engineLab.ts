// A stack's lab brought up by the real engine (`pulumi up`/`destroy` through the Automation API)
// inside a network namespace the test makes. The Pulumi CLI itself runs in the namespace (a
// `pulumi` wrapper enters it), so every local command, QEMU process and SSH connection of the lab
// lives there; the namespace's only link leads to the CI's APT cache. With `remote`, the namespace
// instead runs an SSH server and is an `ssh` lab host, and the engine stays outside like a laptop;
// with `engineOutside` alone the engine stays outside too, and the test makes the lab host (a
// droplet the served DigitalOcean API creates in the namespace).
//
// Everything a run makes carries the suite's markers: namespace `lse-<suite>`, scratch folder
// /tmp/labstack-vm/<suite>. A run killed half-way leaves them behind, and the next run of the
// same suite removes exactly those first (cleanStale), never anything found by a broad match.

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  type EngineEvent,
  LocalWorkspace,
  type PreviewOptions,
  type PreviewResult,
  type RefreshResult,
  type Stack,
  type UpOptions,
  type UpResult,
} from "@pulumi/pulumi/automation/index.js";
import { parse, stringify } from "yaml";

import { startUpstreamCache, upstreamCacheEnvironment } from "./cache.js";
import { engineBin, engineOptions } from "./engine.js";
import { ROOT, scriptPath, stackLab } from "./labs.js";
import { createNamespace, type Namespace, removeStaleNamespace, THROWAWAY_SSH } from "./netns.js";
import { type Sshd, startSshd } from "./sshd.js";

export const SCRATCH_ROOT = "/tmp/labstack-vm";

/** What one engine operation did, with the engine's own log and per-resource durations. */
export interface EngineRun {
  readonly seconds: number;
  /** The engine's printed output (what a learner sees in the terminal). */
  readonly output: string;
  readonly events: EngineEvent[];
  /** Seconds from each resource's start to its outputs, by resource name. */
  readonly durations: Record<string, number>;
  /** Each resource's operation (same, create, update, replace, ...), by URN. */
  readonly ops: Record<string, string>;
}

/** The engine's operations on the lab's stack from one project folder. */
export interface StackOps {
  readonly stack: Stack;
  up(opts?: UpOptions): Promise<UpResult & EngineRun>;
  preview(opts?: PreviewOptions): Promise<PreviewResult & EngineRun>;
  refresh(): Promise<RefreshResult & EngineRun>;
  destroy(): Promise<EngineRun>;
}

export interface EngineLab extends StackOps {
  readonly suite: string;
  readonly ns: Namespace;
  /** The project copy the engine runs (its Pulumi.<stack>.yaml is the adapted config). */
  readonly projectDir: string;
  /** The lab's state folder on the lab host (host.stateDir). */
  readonly stateDir: string;
  /** Where the lab's credentials file goes (credentialsDir). */
  readonly credentialsDir: string;
  /** The file backend's folder. */
  readonly backendDir: string;
  /** The stack config as the engine sees it; change it and call writeConfig(). */
  readonly raw: Record<string, any>;
  readonly sshd?: Sshd;
  /** Environment a `pulumi` process needs to act on this stack (PATH, backend, passphrase, ...). */
  readonly env: Record<string, string>;
  /** The `pulumi` to run by hand (with `env`): the engine in the lab's namespace, as the
   * Automation API runs it. The engine on PATH would run outside it. */
  readonly pulumi: string;
  writeConfig(): void;
  /** The same stack, same backend and namespace, run from another project folder (a moved
   * checkout, a previous release), with `env` over the lab's own environment (another HOME). */
  at(projectDir: string, env?: Record<string, string>): Promise<StackOps>;
  /** A copy of the project in a new folder of the scratch space, with its node_modules linked. */
  copyProject(name: string, source?: string): string;
  /** Runs a command in the lab's namespace (or on the remote host's namespace). */
  inNamespace(argv: string[], env?: Record<string, string>): { status: number; stdout: string; stderr: string };
  /** Runs a command on a node as the lab's user, through its SSH forward on the lab host. */
  onNode(sshPort: number, command: string): { status: number; stdout: string; stderr: string };
  /** The labstack CLI (npx labstack ...), as a learner runs it on the lab host, timed, with HOME
   * the suite's `learnerHome` (what it writes to ~/.ssh stays in the suite's scratch folder). */
  cli(...args: string[]): { status: number; stdout: string; stderr: string; seconds: number };
  /** The learner's home folder for `cli`. */
  readonly learnerHome: string;
  /** Destroys the lab (what the engine can); a lab opened alone also takes its suite's namespace. */
  close(): Promise<void>;
}

/** Removes what an earlier, killed run of this suite left: its namespace with every process in it
 * (QEMU, the lab's APT cache, sshd), an engine that ran outside it (its processes work in the
 * suite's scratch folder), its upstream cache daemon, its scratch folder. */
export function cleanStale(suite: string, linkIndex: number): void {
  const name = namespaceName(suite);
  removeStaleNamespace(name);
  killWorkingIn(join(SCRATCH_ROOT, suite));
  spawnSync("ip", ["link", "del", `${name.slice(0, 10)}-up`]);
  const upstream = upstreamCacheEnvironment(`10.254.${linkIndex}.1`);
  if (existsSync(upstream.RUN_DIR)) spawnSync("bash", [scriptPath("host/apt-cache.sh"), "down"], { env: { ...process.env, ...upstream } });
  rmSync(join(SCRATCH_ROOT, suite), { recursive: true, force: true });
  // The preflight's claims of the suite's labs (in the engine's home, by namespace): their state
  // folders were in the scratch folder.
  const claims = join(homedir(), ".local", "share", "labstack", ".claims");
  for (const file of existsSync(claims) ? filesUnder(claims) : []) {
    if (readFileSync(file, "utf8").startsWith(`state ${join(SCRATCH_ROOT, suite)}/`)) rmSync(file);
  }
}

const namespaceName = (suite: string) => `lse-${suite}`.slice(0, 15);

/** Kills every process whose working directory is `dir` or inside it. */
function killWorkingIn(dir: string): void {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (cwd === dir || cwd.startsWith(`${dir}/`)) spawnSync("kill", ["-9", pid]);
  }
}

const REPLACEMENT_STEPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced"]);

function collect(events: EngineEvent[]): { durations: Record<string, number>; ops: Record<string, string> } {
  const started: Record<string, number> = {};
  const durations: Record<string, number> = {};
  const ops: Record<string, string> = {};
  for (const e of events) {
    const pre = e.resourcePreEvent?.metadata;
    const out = e.resOutputsEvent?.metadata;
    if (pre) {
      started[pre.urn] = e.timestamp;
      // A replacement shows as several steps (delete-replaced, create-replacement, replace).
      ops[pre.urn] = REPLACEMENT_STEPS.has(pre.op) ? "replace" : pre.op;
    }
    if (out && started[out.urn] !== undefined) durations[out.urn.split("::").pop()!] = e.timestamp - started[out.urn];
  }
  return { durations, ops };
}

/** The operations on `stack`, each timed with its events. */
function operations(stack: Stack): StackOps {
  return {
    stack,
    up: (opts = {}) => timed((o) => stack.up({ ...opts, ...o })),
    preview: (opts = {}) => timed((o) => stack.preview({ ...opts, ...o })),
    refresh: () => timed((o) => stack.refresh(o)),
    destroy: () => timed((o) => stack.destroy(o)),
  };
}

async function timed<T>(run: (opts: { onOutput: (s: string) => void; onEvent: (e: EngineEvent) => void }) => Promise<T>): Promise<T & EngineRun> {
  let output = "";
  const events: EngineEvent[] = [];
  const started = performance.now();
  const result = await run({ onOutput: (s) => (output += s), onEvent: (e) => events.push(e) }).catch((e: Error) => {
    e.message += `\n--- engine output\n${output}`;
    throw e;
  });
  return { ...result, seconds: (performance.now() - started) / 1000, output, events, ...collect(events) };
}

/** One suite's namespace, engine, project copy and file backend, where one or more stacks' labs
 * are brought up side by side (several labs on one host). */
export interface EngineSuite {
  readonly suite: string;
  readonly ns: Namespace;
  readonly sshd?: Sshd;
  readonly projectDir: string;
  readonly backendDir: string;
  readonly learnerHome: string;
  /** A lab of stack `stack` in this suite: its state and credentials in `folders`, its config
   * `adapt`ed. @default folders: <scratch>/<stack>/state and .../credentials */
  lab(stack: string, adapt?: (raw: Record<string, any>) => void, folders?: { stateDir: string; credentialsDir: string }): Promise<EngineLab>;
  inNamespace(argv: string[], env?: Record<string, string>): { status: number; stdout: string; stderr: string };
  /** Destroys every lab it opened (what the engine can), then removes the namespace and all in it. */
  close(): Promise<void>;
}

/**
 * `stack` names the Pulumi.<stack>.yaml the lab comes from; `adapt` may change its config first
 * (the hypervisor, say). The lab keeps its own config otherwise: only where state, credentials
 * and the upstream of its APT cache go is the test's.
 */
export async function openEngineLab(
  suite: string,
  stack: string,
  linkIndex: number,
  adapt: (raw: Record<string, any>) => void = () => undefined,
  options: { remote?: boolean; engineOutside?: boolean; legacy?: string } = {},
): Promise<EngineLab> {
  const opened = await openEngineSuite(suite, linkIndex, options);
  const scratch = join(SCRATCH_ROOT, suite);
  const lab = await opened.lab(stack, adapt, { stateDir: join(scratch, "state"), credentialsDir: join(scratch, "credentials") });
  return { ...lab, close: opened.close };
}

export async function openEngineSuite(
  suite: string,
  linkIndex: number,
  options: { remote?: boolean; engineOutside?: boolean; legacy?: string } = {},
): Promise<EngineSuite> {
  cleanStale(suite, linkIndex);
  const scratch = join(SCRATCH_ROOT, suite);
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const bin = engineBin();
  const ns = createNamespace(namespaceName(suite), linkIndex);
  const stopCache = startUpstreamCache(ns.uplinkAddress);
  const sshd = options.remote ? await startSshd(ns, ns.address, join(scratch, "sshd")) : undefined;

  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f && existsSync(join(ROOT, f)));
  execFileSync("tar", ["-cf", join(scratch, "project.tar"), ...files], { cwd: ROOT });
  const copyProject = (name: string, source = join(scratch, "project.tar")) => {
    const dir = join(scratch, name);
    mkdirSync(dir);
    execFileSync("tar", ["-xf", source, ...(source.endsWith(".gz") ? ["-z", "--strip-components=1"] : [])], { cwd: dir });
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    return dir;
  };
  const projectDir = copyProject("project");
  const legacy = options.legacy === undefined ? undefined : copyProject("legacy-project", options.legacy);

  // The engine enters the namespace; a remote lab host is reached from outside, like a laptop.
  const engineRoot = join(scratch, "engine");
  mkdirSync(join(engineRoot, "bin"), { recursive: true });
  const wrapper = join(engineRoot, "bin", "pulumi");
  const outside = sshd !== undefined || options.engineOutside === true;
  writeFileSync(wrapper, outside ? `#!/bin/sh\nexec ${join(bin, "pulumi")} "$@"\n` : namespaceWrapper(ns, join(bin, "pulumi")));
  chmodSync(wrapper, 0o755);
  const options_ = await engineOptions(bin, scratch, { root: engineRoot });
  // engineOptions puts the file backend in the scratch folder's .state.
  const backendDir = join(scratch, ".state");
  const env: Record<string, string> = { ...options_.envVars, PULUMI_HOME: options_.pulumiHome };
  const learnerHome = join(scratch, "learner-home");
  mkdirSync(learnerHome, { recursive: true });
  const upstream = `http://${ns.uplinkAddress}:3142`;

  const inNamespace = (argv: string[], extra: Record<string, string> = {}) => {
    const r = spawnSync("ip", ["netns", "exec", ns.name, ...argv], {
      encoding: "utf8",
      env: { ...process.env, ...extra },
      cwd: projectDir,
      // A stack export of the OpenStack lab is over spawnSync's 1 MiB default.
      maxBuffer: 256 * 1024 * 1024,
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  const opened: Stack[] = [];
  const lab = async (
    stack: string,
    adapt: (raw: Record<string, any>) => void = () => undefined,
    folders = { stateDir: join(scratch, stack, "state"), credentialsDir: join(scratch, stack, "credentials") },
  ): Promise<EngineLab> => {
    const { stateDir, credentialsDir } = folders;
    const raw = stackLab(stack);
    raw.host = { ...(raw.host ?? { kind: "local" }), stateDir };
    // A careful user pins the remote host's key (ssh-keyscan); the provider then checks it.
    if (sshd !== undefined) raw.host = { kind: "ssh", address: sshd.host.address, port: sshd.host.port, user: sshd.host.user, hostKey: sshd.hostKey, stateDir };
    raw.credentialsDir = credentialsDir;
    // The lab host's only way to package mirrors (its APT cache's, or the image build's when the lab has no cache).
    raw.aptCache = { ...(raw.aptCache ?? {}), upstreamProxy: upstream };
    adapt(raw);

    // The stack's lab is its template (the project's Pulumi.<stack>.yaml); a previous release read
    // it from the same file as the stack's own config.
    const writeConfig = (dir = projectDir) => {
      const configFile = join(dir, `Pulumi.${stack}.yaml`);
      const doc = existsSync(configFile) ? parse(readFileSync(configFile, "utf8")) : { config: {} };
      writeFileSync(configFile, stringify({ ...doc, config: { ...doc.config, "labstack:lab": raw } }));
    };
    const at = async (dir: string, extra: Record<string, string> = {}) => {
      writeConfig(dir);
      return operations(await LocalWorkspace.createOrSelectStack({ stackName: stack, workDir: dir }, { ...options_, envVars: { ...env, ...extra } }));
    };
    const main = await at(legacy ?? projectDir);
    opened.push(main.stack);
    if (sshd !== undefined) {
      await main.stack.setConfig("labstack:hostPrivateKey", { value: execFileSync("cat", [sshd.host.keyFile], { encoding: "utf8" }), secret: true });
    }
    return {
      suite,
      ns,
      ...main,
      projectDir,
      stateDir,
      credentialsDir,
      backendDir,
      raw,
      sshd,
      env,
      pulumi: wrapper,
      writeConfig: () => writeConfig(),
      at,
      copyProject,
      inNamespace,
      learnerHome,
      cli: (...args) => {
        const started = performance.now();
        const r = inNamespace(["node", "cli/labstack.mjs", ...args], { ...env, HOME: learnerHome });
        return { ...r, seconds: (performance.now() - started) / 1000 };
      },
      onNode: (sshPort, command) =>
        inNamespace(["ssh", "-i", join(credentialsDir, "lab-key"), "-p", String(sshPort), ...THROWAWAY_SSH, "stack@127.0.0.1", command]),
      close: async () => {
        await main.stack.destroy().catch(() => undefined);
      },
    };
  };

  return {
    suite,
    ns,
    sshd,
    projectDir,
    backendDir,
    learnerHome,
    lab,
    inNamespace,
    async close() {
      // After a failed test the engine may still hold resources: destroy what it can, then
      // remove the namespace (and every process in it) regardless.
      await Promise.all(opened.map((stack) => stack.destroy().catch(() => undefined)));
      sshd?.stop();
      stopCache();
      cleanStale(suite, linkIndex);
    },
  };
}

/**
 * A `pulumi` that runs in the namespace. The Automation API listens for the engine's events on the
 * test process's loopback (`--event-log tcp://127.0.0.1:PORT`), out of the namespace's reach: the
 * wrapper points the engine at the same port on the namespace link instead and relays it there.
 */
function namespaceWrapper(ns: Namespace, pulumi: string): string {
  return `#!/usr/bin/env bash
set -euo pipefail
args=()
relay=
for arg in "$@"; do
  if [[ "$arg" == tcp://127.0.0.1:* ]]; then
    port=\${arg##*:}
    coproc RELAY { exec node ${join(import.meta.dirname, "relay.mjs")} ${ns.uplinkAddress} "$port" 127.0.0.1; }
    relay=$RELAY_PID
    read -r _ <&"\${RELAY[0]}"
    arg=tcp://${ns.uplinkAddress}:$port
  fi
  args+=("$arg")
done
status=0
ip netns exec ${ns.name} ${pulumi} "\${args[@]}" || status=$?
if [[ -n "$relay" ]]; then kill "$relay" 2>/dev/null || true; fi
exit "$status"
`;
}

/** Files under a folder, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Operations other than `same` (and a refresh's reads) in an engine run, by resource name. */
export function changed(run: EngineRun): Record<string, string> {
  return Object.fromEntries(
    Object.entries(run.ops)
      .filter(([, op]) => op !== "same" && op !== "refresh")
      .map(([urn, op]) => [urn.split("::").pop()!, op]),
  );
}
