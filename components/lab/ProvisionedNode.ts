// One node of a lab: its VM (from whichever hypervisor), the SSH readiness gate, its host key
// (the lab's, pinned from then on) and its base setup. Services and checks hang off `base` and
// reach the node through `connection`, which refuses any other host key.

import type { types } from "@pulumi/command";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderSeed } from "../../plan/cloudinit.js";
import type { CredentialValues } from "../../plan/credentials.js";
import { hostKeyStep, type NodeHostKey } from "../../plan/hostKeys.js";
import { waitSshStep } from "../../plan/machine.js";
import type { Step } from "../../plan/steps.js";
import type { LabPlan, NodePlan } from "../../plan/types.js";
import type { LabHostConnection } from "../host/connection.js";
import type { Hypervisor } from "../hypervisor/hypervisor.js";
import type { Target } from "../provider/remote.js";
import { hostObject } from "./hostObject.js";
import { NodeStep } from "./NodeStep.js";

export interface ProvisionedNodeArgs {
  readonly host: LabHostConnection;
  readonly hypervisor: Hypervisor;
  readonly plan: LabPlan;
  readonly node: NodePlan;
  readonly credentials: pulumi.Output<CredentialValues>;
  /** The node's host key pair, made with the credentials (Credentials.hostKeys). */
  readonly hostKey: pulumi.Output<NodeHostKey>;
  readonly sshPublicKey: pulumi.Input<string>;
  readonly baseImage: pulumi.Input<string>;
  readonly networkDevices: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The image's and networks' identities (MachineArgs.sources). */
  readonly sources: Readonly<Record<string, unknown>>;
  /** The node's base setup step. */
  readonly base: Step;
  /** Host-side resources the VM needs first (networks, image, APT cache). */
  readonly hostDependencies: pulumi.Input<pulumi.Resource>[];
}

/** Waits for SSH, then for cloud-init to finish (users, keys and addresses applied): it writes
 * result.json at the very end. A shell loop, not `cloud-init status --wait`, which pays a Python
 * start (12-17 s under TCG) to say the same. On a later boot, where the base step has turned
 * cloud-init off, for the boot to finish (running, or degraded: a failed unit is the checks' to
 * name), as cloud-init's last stage would have. */
export const READY_COMMAND =
  "until test -e /run/cloud-init/result.json || { test -e /etc/cloud/cloud-init.disabled && systemctl is-system-running --wait | grep -qxE 'running|degraded'; }; do sleep 1; done; test -f /var/lib/cloud/instance/boot-finished && hostname";

/** The gate again after its VM was restarted by a repair (the comment makes it an update). */
const readyCommand = (repair: number) => (repair > 0 ? `${READY_COMMAND} # repair ${repair}` : READY_COMMAND);

export class ProvisionedNode extends pulumi.ComponentResource {
  readonly vmId: pulumi.Output<string>;
  /** How many times a refresh found the VM dead and `up` started it again. */
  readonly vmRepairs: pulumi.Output<number>;
  /** How every step after the host key reaches the node: its host key pinned. */
  readonly connection: types.input.remote.ConnectionArgs;
  /** How the lab's provider reaches the node to read its services back: its host key pinned. */
  readonly target: pulumi.Input<Target>;
  /** The node's public host key (an authorized_keys line, not secret). */
  readonly hostPublicKey: pulumi.Output<string>;
  readonly ready: command.remote.Command;
  /** node/host-key.sh: the lab's host key installed, before anything else runs on the node. */
  readonly hostKey: NodeStep;
  readonly base: NodeStep;

  constructor(name: string, args: ProvisionedNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:lab:Node", name, {}, opts);
    const { plan, node } = args;
    const seed = pulumi
      .output(args.sshPublicKey)
      .apply((key) => renderSeed({ hostname: node.name, user: plan.config.user, sshPublicKey: key, nics: node.nics }));
    const machine = args.hypervisor.machine(
      `${name}-machine`,
      { host: args.host, plan, node, seed, baseImage: args.baseImage, networkDevices: args.networkDevices, sources: args.sources },
      { parent: this, dependsOn: args.hostDependencies },
    );
    this.vmId = machine.vmId;
    // After a repair the VM boots again: the gates wait for it again.
    const repair = machine.health.generation;
    this.vmRepairs = repair;
    const privateKey = args.credentials.apply((c) => c.sshPrivateKey);
    // Until the node has the lab's host key, whatever answers on its port is trusted: the gate and
    // the host key step below. That is safe enough for them, and only for them. The gate sends
    // nothing secret (key authentication signs for this one connection, which no one can replay
    // elsewhere). The host key step, which sends the key pair, runs once per VM and key, right
    // after the gate: when the VM was just made (a new lab, a rebuilt VM: the gate ran against the
    // VM this `up` started), at the first `up` of a lab made before keys were pinned, and after a
    // credentials rotation made a new pair (a running lab's VMs, or, with `--refresh` or
    // `labstack recover` after a reboot, VMs started again before it). Then the VM's own QEMU (or
    // VirtualBox) holds the forward port on the lab host, which no other local user can bind while
    // it does. It never runs again on its own, not after a repair, not after the host's reboot,
    // when a local user could have bound the free port first: everything else checks the key, and
    // a stranger on the port gets nothing but a refusal.
    const unpinned = args.host.nodeConnection(node.sshPort, plan.config.user, privateKey);
    // On the lab host first: the gate's dial through a remote host cannot wait for a booting node.
    const { command: sshUp } = hostObject(
      args.host,
      `${name}-ssh`,
      { ...waitSshStep(node), identity: [this.vmId], repair },
      { parent: this, dependsOn: [machine] },
    );
    this.ready = new command.remote.Command(
      `${name}-ready`,
      { connection: unpinned, create: repair.apply(readyCommand), triggers: [this.vmId], addPreviousOutputInEnv: false },
      { parent: this, dependsOn: [sshUp], customTimeouts: { create: "20m", update: "20m" } },
    );
    // No status and no repairs: see above. A rebuilt VM (a new vmId) gets it again.
    this.hostKey = new NodeStep(
      `${name}-host-key`,
      { connection: unpinned, step: hostKeyStep, credentials: args.hostKey.apply((k): CredentialValues => k), vmId: this.vmId },
      { parent: this, dependsOn: [this.ready] },
    );
    // The pinned key is read through the step's output, so that whatever carries it (every later
    // step's connection, every Health's target) comes after the key is installed, dependsOn or not.
    this.hostPublicKey = pulumi.unsecret(args.hostKey.apply((k) => k.hostKeyPublicKey.trim()));
    const pinned = pulumi.unsecret(pulumi.all([this.hostPublicKey, this.hostKey.stdout]).apply(([key]) => key));
    this.connection = args.host.nodeConnection(node.sshPort, plan.config.user, privateKey, pinned);
    this.target = args.host.nodeTarget(node.sshPort, plan.config.user, privateKey, pinned);
    this.base = new NodeStep(
      `${name}-base`,
      { connection: this.connection, step: args.base, credentials: args.credentials, vmId: this.vmId },
      { parent: this, dependsOn: [this.hostKey] },
    );
    this.registerOutputs({ vmId: this.vmId });
  }
}
