// A lab to live in: checkpoints of every node taken together and restored in seconds, a lab
// stopped to give its RAM and CPU back and started where it was, and a lab brought back after its
// host rebooted. Checkpoints are the hypervisor's own (QEMU's snapshots in each node's disk,
// VirtualBox's snapshots), so `pulumi destroy` takes them with the disks, and none of this changes
// the stack: a plain `pulumi up` afterwards has nothing to do.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname } from "node:path";
import { aptCacheStep } from "../plan/aptCache.js";
import { clockStep } from "../plan/checkpoint.js";
import { localPath, stoppedMarker } from "../plan/lab.js";
import type { Step } from "../plan/steps.js";
import type { LabPlan, NodePlan } from "../plan/types.js";
import { type CheckResult, runChecks } from "./checks.js";
import { failureOf, type Session } from "./session.js";
import { timed } from "./timed.js";

export type Say = (line: string) => void;

function vmPlan(session: Session): LabPlan {
  if (session.plan === undefined) throw new Error(`lab ${session.name} has no VMs of its own (a ${session.lab.kind} lab)`);
  return session.plan;
}

/** `args` on every node's VM at once; throws naming the nodes that failed. */
async function onEveryVm(session: Session, args: string[]): Promise<Map<string, string>> {
  const plan = vmPlan(session);
  const results = await Promise.all(plan.nodes.map(async (node) => [node, await session.onVm(node, args)] as const));
  const failed = results.filter(([, r]) => r.code !== 0);
  if (failed.length > 0) throw new Error(failed.map(([node, r]) => `${node.name}: ${failureOf(r)}`).join("\n"));
  return new Map(results.map(([node, r]) => [node.name, r.stdout]));
}

/** A name the hypervisors take for a snapshot, checked here so nothing starts half-way. */
function checkpointName(name: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) throw new Error(`a checkpoint is named with lower-case letters, digits, . _ - (got '${name}')`);
  return name;
}

export async function saveCheckpoint(session: Session, name: string, say: Say): Promise<void> {
  await onEveryVm(session, ["checkpoint", "save", checkpointName(name)]);
  say(
    `saved checkpoint ${name} of ${vmPlan(session)
      .nodes.map((n) => n.name)
      .join(", ")}`,
  );
}

export interface Checkpoint {
  readonly name: string;
  /** MiB of RAM and device state it keeps, by node ("?" where the hypervisor does not say). */
  readonly sizes: Readonly<Record<string, string>>;
  /** Every node has it: it can be restored. */
  readonly complete: boolean;
}

export async function listCheckpoints(session: Session): Promise<Checkpoint[]> {
  const lists = await onEveryVm(session, ["checkpoint", "list"]);
  const nodes = [...lists.keys()];
  const sizes = new Map<string, Record<string, string>>();
  for (const [node, text] of lists) {
    for (const line of text.split("\n").filter(Boolean)) {
      const [name, size] = line.split(" ");
      sizes.set(name, { ...(sizes.get(name) ?? {}), [node]: size });
    }
  }
  return [...sizes].map(([name, s]) => ({ name, sizes: s, complete: nodes.every((n) => n in s) }));
}

export async function deleteCheckpoint(session: Session, name: string, say: Say): Promise<void> {
  await onEveryVm(session, ["checkpoint", "delete", checkpointName(name)]);
  say(`deleted checkpoint ${name}`);
}

/** The guests' clocks, after they resumed from a saved state; the nodes that answered with
 * another host key than the lab pinned. */
async function stepClocks(session: Session): Promise<string[]> {
  const step = clockStep(Math.floor(Date.now() / 1000));
  const nodes = vmPlan(session).nodes;
  const results = await Promise.all(nodes.map((n) => session.onNode(n.name, step, ["up"], 60_000)));
  return nodes
    .filter((_, i) => {
      const r = results[i];
      return r.code === null && r.failure === "host-key";
    })
    .map((n) => n.name);
}

/** The clocks set and the checks run side by side, those that read a clock once it is set (the
 * others need no clock, and under emulation every second of a resume counts). */
async function clocksAndChecks(session: Session, say: Say): Promise<[string[], CheckResult[]]> {
  const clocks = timed(say, "clocks set", () => stepClocks(session));
  return Promise.all([clocks, timed(say, "checks run", () => runChecks(session, clocks))]);
}

/** A checkpoint saved before the lab pinned its nodes' host keys brings back the keys the nodes
 * had then, which nothing accepts any more. The lab's keys go back on through the engine, by the
 * step that installs them, made again (unverified, as it runs on a new VM: the nodes run, their
 * ports are their VMs'). */
async function hostKeyAdvice(session: Session, name: string, nodes: readonly string[]): Promise<string> {
  const { deployment } = await session.stack.exportStack();
  const runs = nodes.map((node) => `::${session.name}-${node}-host-key-run`);
  const urns = ((deployment?.resources ?? []) as { urn: string }[]).map((r) => r.urn).filter((urn) => runs.some((run) => urn.endsWith(run)));
  return [
    `${nodes.join(", ")} ${nodes.length === 1 ? "answers" : "answer"} with another SSH host key than the lab pinned: checkpoint ${name} was saved before labstack pinned its nodes' host keys, and brought back the keys they had then.`,
    "Put the lab's keys back on them while the lab runs (then save the checkpoint again, or delete it):",
    `  pulumi up -s ${session.name} ${urns.map((urn) => `--replace '${urn}'`).join(" ")}`,
  ].join("\n");
}

/** Every node back to checkpoint `name`, or none: a node rebuilt since it was taken has a new disk
 * without it, and then nothing is restored. Then the clocks and the checks. */
export async function restoreCheckpoint(session: Session, name: string, say: Say): Promise<CheckResult[]> {
  const plan = vmPlan(session);
  checkpointName(name);
  const has = await Promise.all(plan.nodes.map(async (node) => [node.name, await session.onVm(node, ["checkpoint", "has", name])] as const));
  const missing = has.filter(([, r]) => r.code !== 0).map(([node]) => node);
  if (missing.length > 0) {
    throw new Error(
      `checkpoint ${name} cannot be restored: ${missing.join(", ")} ${missing.length === 1 ? "has" : "have"} no such checkpoint (a node rebuilt since it was taken has a new disk, or it was never taken: labstack checkpoint ${session.name} list); nothing was changed`,
    );
  }
  await timed(say, "VMs restored", () => onEveryVm(session, ["checkpoint", "restore", name]));
  const [refused, results] = await clocksAndChecks(session, say);
  say(`restored checkpoint ${name} of ${plan.nodes.map((n) => n.name).join(", ")}`);
  if (refused.length > 0) throw new Error(await hostKeyAdvice(session, name, refused));
  return results;
}

/** The marker that tells `pulumi up` the lab is stopped (a local lab host's state folder). */
const markerOf = (plan: LabPlan) => (plan.config.host.kind === "local" ? localPath(stoppedMarker(plan.stateDir), homedir()) : undefined);

/** The lab's own APT cache, `start`ed and `stop`ped with the lab (a daemon of its own; the host's
 * shared service stays for the other labs). */
const cacheOf = (plan: LabPlan): Step | undefined => {
  const cache = aptCacheStep(plan);
  return cache === undefined ? undefined : { script: cache.script, env: cache.environment };
};

/** What a host script said it changed, each line once. */
function sayChanges(text: string, said: Set<string>, say: Say): void {
  for (const line of text.split("\n").filter((l) => /labstack: changed/.test(l))) {
    const change = line.slice(line.indexOf("labstack: changed"));
    if (!said.has(change)) {
      said.add(change);
      say(change);
    }
  }
}

/** Every VM's state saved to its disk and its QEMU (or VirtualBox VM) ended, and the lab's own
 * APT cache stopped: RAM and CPU back to the host. */
export async function stopLab(session: Session, say: Say): Promise<void> {
  const plan = vmPlan(session);
  await onEveryVm(session, ["stop"]);
  const cache = cacheOf(plan);
  if (cache !== undefined) {
    const r = await session.onHost(cache, ["stop"]);
    if (r.code !== 0) throw new Error(`the VMs stopped, the APT cache did not: ${failureOf(r)}`);
    sayChanges(r.stdout, new Set(), say);
  }
  const marker = markerOf(plan);
  if (marker !== undefined) {
    mkdirSync(dirname(marker), { recursive: true });
    writeFileSync(marker, "stopped by labstack stop: labstack start brings it back\n");
  }
  say(`stopped ${plan.nodes.map((n: NodePlan) => n.name).join(", ")} (their state saved to disk)`);
}

/** After `labstack stop`: every VM runs again from its own saved state and the lab's APT cache
 * from its configuration, without the engine (the stack did not change: a plain `pulumi up`
 * afterwards has nothing to do). False, with why, when a VM cannot (a reboot took its taps, it has
 * no saved state): `pulumi up --refresh` then brings back what is missing. */
async function resumeInPlace(session: Session, say: Say): Promise<boolean> {
  const plan = vmPlan(session);
  const cache = cacheOf(plan);
  const said = new Set<string>();
  const runs = await Promise.all([
    ...plan.nodes.map(async (node) => [node.name, await session.onVm(node, ["resume"])] as const),
    ...(cache === undefined ? [] : [(async () => ["the APT cache", await session.onHost(cache, ["start"])] as const)()]),
  ]);
  for (const [, r] of runs) sayChanges(r.stdout, said, say);
  const failed = runs.filter(([, r]) => r.code !== 0);
  for (const [what, r] of failed) say(`${what}: ${failureOf(r)}`);
  return failed.length === 0;
}

/** What a failed `pulumi up` said was wrong: its Diagnostics (each error under the resource it
 * came from), not the hundreds of progress lines and the outputs around them that the Automation
 * API's error carries; nor the engine's note, on every run, that it uses the providers built here. */
export function engineDiagnostics(text: string): string {
  const start = text.indexOf("\nDiagnostics:\n");
  if (start < 0) return text.trim().split("\n").slice(-20).join("\n");
  const section = text.slice(start + 1);
  const end = section.search(/\n(Outputs|Resources|Duration):/);
  return (end < 0 ? section : section.slice(0, end))
    .split("\n")
    .filter((line) => !/warning: using pulumi-resource-\S+ from \$PATH/.test(line))
    .join("\n")
    .trim();
}

/** Back where it was, then the clocks and the checks. `start` resumes the stopped VMs in place
 * when it can; `recover` (the lab host rebooted) and a start that cannot run `pulumi up --refresh`,
 * which finds what is gone (VMs, bridges, taps, the APT cache) and brings back exactly that,
 * resuming saved states. */
export async function startLab(session: Session, say: Say, how: "start" | "recover" = "start"): Promise<CheckResult[]> {
  const plan = vmPlan(session);
  const marker = markerOf(plan);
  const inPlace = how === "start" && (await timed(say, "in-place resume", () => resumeInPlace(session, say)));
  if (marker !== undefined && existsSync(marker)) rmSync(marker);
  if (!inPlace) {
    if (how === "start") say("resuming through the engine: pulumi up --refresh");
    const said = new Set<string>();
    // The engine prints a step's output as it runs and again in its summary: each change once.
    const up = await timed(say, "pulumi up --refresh", () =>
      session.stack.up({ refresh: true, onOutput: (text) => sayChanges(text, said, say) }).catch((e: Error) => {
        throw new Error(`pulumi up --refresh failed:\n${engineDiagnostics(e.message)}`);
      }),
    );
    if (up.summary.result !== "succeeded") throw new Error(`pulumi up --refresh did not succeed: ${up.summary.result}`);
  }
  const [, results] = await clocksAndChecks(session, say);
  return results;
}
