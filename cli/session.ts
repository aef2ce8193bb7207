// A lab as the CLI reaches it: its stack (through the Automation API, with the same backend and
// passphrase as `pulumi`), its config and plan (the program's own parsing), and how to run things
// on its host and nodes (the provider's runner, components/provider/remote.ts), with the lab's
// key from the stack's outputs. Nothing here changes the stack.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { hypervisorOf } from "../components/hypervisor/registry.js";
import { connectionPool, type RunResult, runProgram, type SshTarget, type Target } from "../components/provider/remote.js";
import type { AnyLabConfig, LabConfig } from "../model/schema.js";
import type { CredentialValues } from "../plan/credentials.js";
import { planLab } from "../plan/lab.js";
import { bundle } from "../plan/scripts.js";
import { nodeStdin, type Step } from "../plan/steps.js";
import type { LabPlan, NodePlan } from "../plan/types.js";
import { kindOf, parseStack } from "../stacks/index.js";
import type { LabProbe } from "../stacks/kind.js";
import { stackLab } from "../stacks/template.js";

/** The project: the folder with Pulumi.yaml, wherever the CLI is run from. */
export const PROJECT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface Session {
  readonly name: string;
  readonly stack: Stack;
  readonly lab: AnyLabConfig;
  /** The plan of a lab on VMs (not of the minikube lab). */
  readonly plan?: LabPlan;
  readonly credentials: CredentialValues;
  /** Each node's public host key from the outputs, by node name (none: the lab's last `up` was
   * before keys were pinned, and its nodes are reached as then, unchecked). */
  readonly hostKeys: Readonly<Record<string, string>>;
  /** How many checks the last `up` ran (the leaves of its `checks` output). */
  readonly checkCount: number;
  readonly host: Target;
  node(name: string): Target;
  /** A script of provisioning/ with its parameters, on the lab host. */
  onHost(script: Step, args: string[], timeoutMs?: number): Promise<RunResult>;
  /** A node step on a node. */
  onNode(node: string, step: Step, args?: string[], timeoutMs?: number): Promise<RunResult>;
  /** The hypervisor's vm.sh for a node, with the VM's identity. */
  onVm(node: NodePlan, args: string[], timeoutMs?: number): Promise<RunResult>;
  checks(): readonly LabProbe[];
  statuses(): readonly LabProbe[];
  /** Ends the connections the runs above share (one per node and lab host, for the command). */
  close(): void;
}

/** The passphrase `npm run up` made when the user set none: the CLI finds the stack's secrets the same way. */
export function passphraseEnvironment(): Record<string, string> {
  if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined || process.env.PULUMI_CONFIG_PASSPHRASE_FILE !== undefined) return {};
  const file = join(process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "labstack", "passphrase");
  return existsSync(file) ? { PULUMI_CONFIG_PASSPHRASE_FILE: file } : {};
}

/** A stack's lab as configured (no lab needs to be up): what `graph` draws. */
export interface LabConfigView {
  readonly name: string;
  readonly stack: Stack;
  readonly lab: AnyLabConfig;
  readonly plan?: LabPlan;
  /** The stack's own config (secrets decrypted). */
  readonly config: Record<string, { value: string }>;
}

export async function openConfig(name: string): Promise<LabConfigView> {
  const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: PROJECT }, { envVars: passphraseEnvironment() }).catch((e: Error) => {
    throw new Error(`no stack ${name} here (pulumi stack ls): ${e.message.split("\n").find((l) => l.startsWith("error:")) ?? e.message}`);
  });
  const config = await stack.getAllConfig();
  const own = config["labstack:lab"] === undefined ? undefined : JSON.parse(config["labstack:lab"].value);
  const lab = parseStack(stackLab(PROJECT, name, own));
  const plan = "nodes" in lab ? planLab(lab as LabConfig, name, hypervisorOf((lab as LabConfig).hypervisor.kind).spec) : undefined;
  return { name, stack, lab, plan, config };
}

export async function openSession(name: string): Promise<Session> {
  const { stack, lab, plan, config } = await openConfig(name);
  const outputs = await stack.outputs();
  const credentials = (outputs.credentials?.value ?? {}) as CredentialValues;
  if (credentials.sshPrivateKey === undefined) throw new Error(`stack ${name} has no lab to reach: run pulumi up -s ${name} first`);
  const host = hostTarget(lab, outputs.host?.value as { address: string } | undefined, credentials, config["labstack:hostPrivateKey"]?.value);
  const hostKeys = (outputs.host_keys?.value ?? {}) as Record<string, string>;
  const node = (nodeName: string): Target => {
    const planned = plan?.node(nodeName);
    if (planned === undefined) throw new Error(`lab ${name} has no node ${nodeName}`);
    return {
      kind: "ssh",
      host: "127.0.0.1",
      port: planned.sshPort,
      user: plan!.config.user,
      privateKey: credentials.sshPrivateKey,
      // The key the node got from the lab: anything else on its port is refused.
      hostKey: hostKeys[nodeName],
      sudo: true,
      via: host.kind === "ssh" ? host : undefined,
    };
  };
  const hostSudo = host.kind === "ssh" && host.user !== "root";
  const pool = connectionPool();
  return {
    name,
    stack,
    lab,
    plan,
    credentials,
    hostKeys,
    checkCount: leaves(outputs.checks?.value),
    host,
    node,
    onHost: (step, args, timeoutMs = 120_000) =>
      runProgram(hostSudo ? { ...(host as SshTarget), sudo: true } : host, bundle(step.script, step.env), args, { timeoutMs, pool }),
    onNode: (nodeName, step, args = ["up"], timeoutMs = 300_000) => runProgram(node(nodeName), nodeStdin(step, credentials), args, { timeoutMs, pool }),
    onVm: (vm, args, timeoutMs = 600_000) =>
      runProgram(host, bundle(plan!.hypervisor.vmScript, plan!.hypervisor.vmIdentity(plan!, vm)), args, { timeoutMs, pool }),
    checks: () => kindOf(lab.kind)!.checks(lab, name),
    statuses: () => kindOf(lab.kind)!.statuses(lab, name),
    close: () => pool.close(),
  };
}

const leaves = (value: unknown): number =>
  value !== null && typeof value === "object" ? Object.values(value).reduce((n: number, v) => n + leaves(v), 0) : value === undefined ? 0 : 1;

/** How the CLI reaches the lab host: this machine, the SSH host the config names (with the key
 * `labstack:hostPrivateKey`), or the droplet the lab made (its address from the outputs, the lab's key). */
function hostTarget(lab: AnyLabConfig, remote: { address: string } | undefined, credentials: CredentialValues, hostPrivateKey?: string): Target {
  const { host } = lab;
  if (host.kind === "local") return { kind: "local" };
  if (host.kind === "ssh") {
    if (hostPrivateKey === undefined) throw new Error("labstack:hostPrivateKey is not set for this stack");
    return { kind: "ssh", host: host.address, port: host.port, user: host.user, privateKey: hostPrivateKey, hostKey: host.hostKey };
  }
  if (remote === undefined) throw new Error("the droplet's address is not in the stack's outputs yet: run pulumi up first");
  return { kind: "ssh", host: remote.address, port: 22, user: "root", privateKey: credentials.sshPrivateKey };
}

/** A run's failure as one line for the learner. */
export function failureOf(result: RunResult): string {
  const text = `${result.stderr}\n${result.stdout}`.trim();
  return text.split("\n").slice(-3).join(" / ") || (result.code === null ? result.failure : `exit ${result.code}`);
}
