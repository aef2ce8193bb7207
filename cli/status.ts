// `labstack status`: the lab as it is now, read-only and at once: each VM running or not, each
// node's SSH answering, each service active (the status programs `refresh` runs), and how the last
// `up` went. `labstack labs`: every lab of this project on this host, with its state and memory.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { runProgram } from "../components/provider/remote.js";
import { localPath, stateDirOf, stoppedMarker } from "../plan/lab.js";
import { failureOf, openSession, PROJECT, passphraseEnvironment, type Session } from "./session.js";

export interface Probe {
  readonly name: string;
  readonly ok: boolean;
  /** What it found, on one line. */
  readonly said: string;
}

export interface NodeStatus {
  readonly node: string;
  readonly vm: Probe;
  readonly ssh: Probe;
}

export interface LabStatus {
  readonly nodes: readonly NodeStatus[];
  readonly services: readonly Probe[];
  /** The last `up`: its result, when it ended, and how many checks it ran. */
  readonly lastUp?: string;
  readonly stopped: boolean;
}

// A node emulated on a busy host once took over 10 s to answer a probe, most of it sudo waiting on
// DNS for the node's own name; every node now finds it in /etc/hosts (stacks/network/plan.ts
// networkHostsEntries). Kept at 30 s until the lab-network-everyday suite's `cli_status` figure
// shows a busy TCG host well under 10 s again: too short a bound reports a slow node as down. On a
// quiet machine status answers in seconds.
const STATUS_TIMEOUT_MS = 30_000;

const probe = (name: string, ok: boolean, said: string): Probe => ({ name, ok, said });

/** Whether the stack's lab was stopped with `labstack stop` (its marker is on the lab host). */
function isStopped(session: Session): boolean {
  return session.lab.host.kind === "local" && existsSync(localPath(stoppedMarker(stateDirOf(session.lab, session.name)), homedir()));
}

export async function labStatus(session: Session): Promise<LabStatus> {
  const stopped = isStopped(session);
  const nodes = session.plan?.nodes ?? [];
  const [nodeStatuses, services, history] = await Promise.all([
    Promise.all(
      nodes.map(async (node): Promise<NodeStatus> => {
        const [vm, ssh] = await Promise.all([
          session.onVm(node, ["status"], STATUS_TIMEOUT_MS),
          stopped ? undefined : runProgram(session.node(node.name), "exit 0", [], { timeoutMs: STATUS_TIMEOUT_MS }),
        ]);
        return {
          node: node.name,
          vm: vm.code === 0 ? probe("vm", true, "running") : probe("vm", false, stopped ? "stopped (state saved)" : failureOf(vm)),
          ssh:
            ssh === undefined
              ? probe("ssh", false, "not tried (stopped)")
              : ssh.code === 0
                ? probe("ssh", true, "answers")
                : probe("ssh", false, failureOf(ssh)),
        };
      }),
    ),
    stopped
      ? []
      : Promise.all(
          session.statuses().map(async (s) => {
            const r =
              s.on === "host"
                ? await session.onHost(s.step, ["status"], STATUS_TIMEOUT_MS)
                : await session.onNode(s.on.node, s.step, ["status"], STATUS_TIMEOUT_MS);
            return probe(s.name, r.code === 0, r.code === 0 ? "active" : failureOf(r));
          }),
        ),
    session.stack.history(1).catch(() => []),
  ]);
  const last = history[0];
  const checks = session.checkCount;
  const lastUp =
    last === undefined
      ? undefined
      : `${last.kind} ${last.result} at ${new Date(last.endTime ?? last.startTime).toISOString().replace(/\.\d+Z$/, "Z")}${last.kind === "update" && last.result === "succeeded" ? `, ${checks} checks green then` : ""}`;
  return { nodes: nodeStatuses, services, lastUp, stopped };
}

/** Prints the status; false when anything is not as `up` left it. */
export function printStatus(session: Session, status: LabStatus, say: (line: string) => void): boolean {
  const where = session.plan === undefined ? session.lab.host.kind : `${session.plan.hypervisor.kind} on ${session.lab.host.kind} host`;
  say(`lab ${session.name}: ${session.lab.kind} (${where})${status.stopped ? ", stopped" : ""}`);
  if (status.lastUp !== undefined) say(`  last ${status.lastUp}`);
  const width = Math.max(0, ...status.nodes.map((n) => n.node.length));
  for (const n of status.nodes)
    say(`  ${n.node.padEnd(width)}  vm ${n.vm.ok ? "running" : `DOWN: ${n.vm.said}`}  ssh ${n.ssh.ok ? "answers" : `NO: ${n.ssh.said}`}`);
  for (const s of status.services) say(`  ${s.ok ? "active" : "DOWN  "} ${s.name}${s.ok ? "" : `: ${s.said}`}`);
  const bad = [...status.nodes.flatMap((n) => [n.vm, n.ssh]), ...status.services].filter((p) => !p.ok).length;
  if (status.stopped) say(`stopped: npx labstack start ${session.name}`);
  else say(bad === 0 ? "everything running" : `${bad} things down: npx labstack recover ${session.name} repairs them`);
  return bad === 0 && !status.stopped;
}

export interface LabSummary {
  readonly stack: string;
  readonly kind: string;
  readonly state: string;
  /** MiB the lab's VMs are given (running or not). */
  readonly memoryMiB?: number;
}

/** Every stack of this project in the backend, with its lab's state. */
export async function listLabs(): Promise<LabSummary[]> {
  const workspace = await LocalWorkspace.create({ workDir: PROJECT, envVars: passphraseEnvironment() });
  const stacks = await workspace.listStacks();
  return Promise.all(
    stacks.map(async (summary): Promise<LabSummary> => {
      const stack = summary.name.split("/").pop()!;
      if ((summary.resourceCount ?? 0) === 0) return { stack, kind: "?", state: "not up" };
      const session = await openSession(stack).catch((e: Error) => e);
      if (session instanceof Error) return { stack, kind: "?", state: `unreadable: ${session.message.split("\n")[0]}` };
      try {
        return await labSummary(stack, session);
      } finally {
        session.close();
      }
    }),
  );
}

/** One lab's line of `labstack labs`. */
async function labSummary(stack: string, session: Session): Promise<LabSummary> {
  const memoryMiB = session.plan?.nodes.reduce((sum, n) => sum + n.config.memoryMiB, 0);
  if (isStopped(session)) return { stack, kind: session.lab.kind, state: "stopped", memoryMiB };
  if (session.plan === undefined) {
    const running = await Promise.all(session.statuses().map((s) => session.onHost(s.step, ["status"], STATUS_TIMEOUT_MS)));
    return { stack, kind: session.lab.kind, state: running.every((r) => r.code === 0) ? "running" : "down" };
  }
  const vms = await Promise.all(session.plan.nodes.map((n) => session.onVm(n, ["status"], STATUS_TIMEOUT_MS)));
  const up = vms.filter((r) => r.code === 0).length;
  return { stack, kind: session.lab.kind, state: up === vms.length ? "running" : `${up} of ${vms.length} VMs running`, memoryMiB };
}
