// Runs a lab for real on QEMU inside a test namespace, with exactly the scripts and parameters
// the Pulumi components use (the plan layer computes both). Only the engine is left out: the e2e
// tests add it.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { READY_COMMAND } from "../../components/lab/LabNode.js";
import type { Lab, LabNode } from "../../components/model/schema.js";
import { renderSeed } from "../../components/plan/cloudinit.js";
import { aptCacheEnvironment, BRIDGE_SCRIPT, bridgeEnvironment, credentialsFileEnvironment, imageEnvironment, labCredentialsDir, preflightEnvironment, prepareEnvironment, qemuMachineEnvironment, vmDir } from "../../components/plan/host.js";
import { planNics, sshPort } from "../../components/plan/nics.js";
import { guestNetworkStep, hostServices, networkBaseStep, planChecks } from "../../components/plan/network.js";
import { planNodeSteps, serverNodes, type NodeSteps } from "../../components/plan/openstack.js";
import { hostCommand, hostStdin, NODE_COMMAND, nodeStdin, scriptPath, type CredentialValues, type Step } from "../../components/plan/steps.js";
import type { Namespace } from "./netns.js";

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export function run(argv: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    // A command that exits without reading its stdin (ssh to a VM that went away, a failing check)
    // closes the pipe early; its exit code and output already tell the story.
    child.stdin.on("error", () => {});
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
    child.stdin.end(opts.stdin ?? "");
  });
}

/** Lines by which scripts announce a change; an idempotent second run prints none. */
export const changes = (text: string) => text.split("\n").filter((l) => l.startsWith("labstack: changed"));

export class StepFailure extends Error {}

export interface StepResult extends Run {
  readonly node: string;
  readonly script: string;
}

/** A lab host reached over SSH, as the SshHost component reaches it. */
export interface RemoteHost {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly keyFile: string;
}

const SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=60", "-o", "ServerAliveInterval=15"];

export class QemuLab {
  readonly credentials: CredentialValues;
  readonly keyFile: string;
  private readonly steps: Map<string, NodeSteps>;
  private readonly bases: Map<string, Step>;

  constructor(
    readonly lab: Lab,
    readonly labName: string,
    readonly ns: Namespace,
    readonly stateDir: string,
    credentialsJson: string,
    /** Run host scripts over SSH on this host (the lab's `ssh` host kind) instead of in the namespace directly. */
    readonly remote?: RemoteHost,
  ) {
    this.credentials = JSON.parse(credentialsJson);
    mkdirSync(stateDir, { recursive: true });
    this.keyFile = join(stateDir, "test-ssh-key");
    writeFileSync(this.keyFile, this.credentials.sshPrivateKey, { mode: 0o600 });
    this.steps = new Map(lab.kind === "openstack" ? lab.nodes.map((n) => [n.name, planNodeSteps(lab, labName, n)]) : []);
    this.bases = new Map(lab.nodes.map((n) => [n.name, lab.kind === "openstack" ? this.steps.get(n.name)!.base : networkBaseStep(lab, labName, n)]));
  }

  /** Generates credentials with the same script the Credentials component runs. */
  static async generateCredentials(): Promise<string> {
    const r = await run(["bash", scriptPath("host/generate-credentials.sh")]);
    if (r.code !== 0) throw new Error(`generate-credentials.sh failed: ${r.stderr}`);
    return r.stdout;
  }

  async hostScript(script: string, action: "up" | "down", env: Record<string, string>): Promise<Run> {
    const remote = this.remote;
    const r =
      remote === undefined
        ? await run([...this.ns.exec, "bash", scriptPath(script), action], { env: { ...process.env, ...env } })
        : await run(["ssh", ...SSH_OPTIONS, "-i", remote.keyFile, "-p", String(remote.port), `${remote.user}@${remote.address}`, hostCommand(action, remote.user)], { stdin: hostStdin(script, env) });
    if (r.code !== 0) throw new StepFailure(`lab host: ${script} ${action} failed (exit ${r.code})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    return r;
  }

  private networks() {
    return this.lab.networks.filter((n) => n.kind !== "nat");
  }

  private machineEnvironment(node: LabNode, baseImage: string): Record<string, string> {
    const nics = planNics(this.lab, this.labName, node);
    const seed = renderSeed({ hostname: node.name, user: this.lab.user, sshPublicKey: this.credentials.sshPublicKey, nics });
    const devices = Object.fromEntries(this.networks().map((n) => [n.name, bridgeEnvironment(this.labName, n).DEVICE]));
    return qemuMachineEnvironment({ labName: this.labName, lab: this.lab, node, nics, seed, baseImage, devices, stateDir: this.stateDir });
  }

  /** Host side, in the stack's order: preparation, credentials file, networks, APT cache (it listens on the management network), image, VMs. */
  async up(): Promise<Record<string, number>> {
    const lab = this.lab;
    await this.hostScript("host/preflight.sh", "up", preflightEnvironment(lab, this.labName, this.stateDir));
    await this.hostScript("host/prepare.sh", "up", prepareEnvironment(lab, this.labName));
    await this.hostScript("host/credentials-file.sh", "up", credentialsFileEnvironment(labCredentialsDir(lab, this.stateDir), this.credentials));
    for (const net of this.networks()) await this.hostScript(BRIDGE_SCRIPT, "up", bridgeEnvironment(this.labName, net));
    await this.hostScript("host/apt-cache.sh", "up", aptCacheEnvironment(lab, this.stateDir));
    const image = (await this.hostScript("host/image.sh", "up", imageEnvironment(lab))).stdout.trim();
    await Promise.all(lab.nodes.map((node) => this.hostScript("qemu/vm.sh", "up", this.machineEnvironment(node, image))));
    const started = performance.now();
    const ready = await Promise.all(lab.nodes.map(async (node) => [node.name, await this.waitReady(node, started)] as const));
    return Object.fromEntries(ready);
  }

  ssh(node: LabNode, command: string, stdin = ""): Promise<Run> {
    const remote = this.remote;
    // A remote host is a jump host: the node's forward listens on the host's loopback.
    const client =
      remote === undefined
        ? [...this.ns.exec, "ssh"]
        : ["ssh", "-o", `ProxyCommand=ssh ${SSH_OPTIONS.join(" ")} -i ${remote.keyFile} -p ${remote.port} -W %h:%p ${remote.user}@${remote.address}`];
    return run([...client, "-i", this.keyFile, "-p", String(sshPort(node)), ...SSH_OPTIONS, `${this.lab.user}@127.0.0.1`, command], { stdin });
  }

  /** The readiness gate of the Node component: SSH answers and cloud-init has finished. */
  async waitReady(node: LabNode, since: number, timeoutSeconds = 900): Promise<number> {
    const deadline = since + timeoutSeconds * 1000;
    for (;;) {
      const r = await this.ssh(node, READY_COMMAND);
      if (r.code === 0) return (performance.now() - since) / 1000;
      if (performance.now() > deadline) throw new StepFailure(this.describe(node, "readiness gate", r));
      await new Promise((res) => setTimeout(res, 3000));
    }
  }

  serialTail(node: LabNode, lines = 40): string {
    const log = join(vmDir(this.stateDir, node), "serial.log");
    return existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-lines).join("\n") : "(no serial log)";
  }

  private describe(node: LabNode, what: string, r: Run): string {
    return `node ${node.name}: ${what} failed (exit ${r.code})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n--- serial log (last lines)\n${this.serialTail(node)}`;
  }

  /** One step on one node, as the NodeStep component runs it. */
  async nodeStep(nodeName: string, step: Step): Promise<StepResult> {
    const node = this.lab.nodes.find((n) => n.name === nodeName)!;
    const r = await this.ssh(node, NODE_COMMAND, nodeStdin(step, this.credentials));
    if (r.code !== 0) throw new StepFailure(this.describe(node, `${step.script} (${NODE_COMMAND})`, r));
    return { ...r, node: nodeName, script: step.script };
  }

  /** Base setup and services in the stack's dependency order. */
  async provision(): Promise<StepResult[]> {
    const results: StepResult[] = [];
    const nodes = this.lab.nodes.map((n) => n.name);
    results.push(...(await Promise.all(nodes.map((n) => this.nodeStep(n, this.bases.get(n)!)))));
    const servers = serverNodes(this.lab);
    const services = async (names: string[]) =>
      (
        await Promise.all(
          names.map(async (n) => {
            const out: StepResult[] = [];
            for (const s of this.steps.get(n)!.services) out.push(await this.nodeStep(n, s.step));
            return out;
          }),
        )
      ).flat();
    results.push(...(await services(nodes.filter((n) => servers.has(n)))));
    results.push(...(await services(nodes.filter((n) => !servers.has(n)))));
    return results;
  }

  /** The learner's checks on every node. */
  async checks(): Promise<Record<string, Record<string, StepResult>>> {
    const entries = await Promise.all(
      this.lab.nodes.map(async (n) => {
        const checks = this.steps.get(n.name)!.checks;
        const results = await Promise.all(checks.map(async (c) => [c.name, await this.nodeStep(n.name, c.step)] as const));
        return [n.name, Object.fromEntries(results)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  private hostServiceEnvironments() {
    return hostServices(this.lab, this.labName).map((s) => ({ script: s.step.script, env: { ...s.step.env, RUN_DIR: join(this.stateDir, s.name) } }));
  }

  /** A networking lab's provisioning, in the NetworkLab stack's order: base setup, the guest
   * devices (a lab may pass a changed model, to break it on purpose), host services. */
  async configureNetwork(lab: Lab = this.lab): Promise<StepResult[]> {
    const results = await Promise.all(lab.nodes.map((n) => this.nodeStep(n.name, this.bases.get(n.name)!)));
    for (const node of lab.nodes) {
      const step = guestNetworkStep(lab, node.name);
      if (step !== undefined) results.push(await this.nodeStep(node.name, step));
    }
    for (const s of this.hostServiceEnvironments()) await this.hostScript(s.script, "up", s.env);
    return results;
  }

  /** A networking lab's checks, one after the other as the stack chains them. */
  async networkChecks(): Promise<Record<string, StepResult>> {
    const results: Record<string, StepResult> = {};
    for (const check of planChecks(this.lab, this.labName)) results[check.name] = await this.runCheck(check.name);
    return results;
  }

  /** One of the lab's checks by name (see planChecks). */
  async runCheck(name: string): Promise<StepResult> {
    const check = planChecks(this.lab, this.labName).find((c) => c.name === name);
    if (check === undefined) throw new Error(`no check ${name}; have ${planChecks(this.lab, this.labName).map((c) => c.name).join(", ")}`);
    if (check.on === "host") return { ...(await this.hostScript(check.step.script, "up", check.step.env)), node: "lab host", script: check.step.script };
    return this.nodeStep(check.on.node, check.step);
  }

  /** Everything `up` made, removed in reverse order. */
  async destroy(): Promise<void> {
    for (const s of this.hostServiceEnvironments()) await this.hostScript(s.script, "down", s.env);
    const image = imageEnvironment(this.lab);
    await Promise.all(this.lab.nodes.map((node) => this.hostScript("qemu/vm.sh", "down", this.machineEnvironment(node, image.IMAGE_PATH))));
    for (const net of this.networks()) await this.hostScript(BRIDGE_SCRIPT, "down", bridgeEnvironment(this.labName, net));
    await this.hostScript("host/image.sh", "down", image);
    await this.hostScript("host/credentials-file.sh", "down", credentialsFileEnvironment(labCredentialsDir(this.lab, this.stateDir), this.credentials));
    await this.hostScript("host/apt-cache.sh", "down", aptCacheEnvironment(this.lab, this.stateDir));
    await this.hostScript("host/prepare.sh", "down", prepareEnvironment(this.lab, this.labName));
    await this.hostScript("host/preflight.sh", "down", preflightEnvironment(this.lab, this.labName, this.stateDir));
  }
}
