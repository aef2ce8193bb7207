// One node of a lab: its VM (from whichever hypervisor), the SSH readiness gate, and its
// base setup. Services and checks hang off `base` and reach the node through `connection`.

import type { types } from "@pulumi/command";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Lab, LabNode } from "../../model/schema.js";
import { renderSeed } from "../../plan/cloudinit.js";
import { planNics, sshPort } from "../../plan/nics.js";
import type { CredentialValues, Step } from "../../plan/steps.js";
import type { LabHostConnection } from "../host/connection.js";
import type { Hypervisor } from "../hypervisor/hypervisor.js";
import { NodeStep } from "./NodeStep.js";

export interface ProvisionedNodeArgs {
  readonly host: LabHostConnection;
  readonly hypervisor: Hypervisor;
  readonly lab: Lab;
  readonly labName: string;
  readonly node: LabNode;
  readonly credentials: pulumi.Output<CredentialValues>;
  readonly sshPublicKey: pulumi.Input<string>;
  readonly baseImage: pulumi.Input<string>;
  readonly networkDevices: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The node's base setup step. */
  readonly base: Step;
  /** Host-side resources the VM needs first (networks, image, APT cache). */
  readonly hostDependencies: pulumi.Input<pulumi.Resource>[];
}

/** Waits for SSH, then for cloud-init to finish (users, keys and addresses applied): it writes
 * result.json at the very end. A shell loop, not `cloud-init status --wait`, which pays a Python
 * start (12-17 s under TCG) to say the same. */
export const READY_COMMAND = "until test -e /run/cloud-init/result.json; do sleep 1; done; test -f /var/lib/cloud/instance/boot-finished && hostname";

const readyCommand = (verify: number) => (verify > 0 ? `${READY_COMMAND} # verify ${verify}` : READY_COMMAND);

export class ProvisionedNode extends pulumi.ComponentResource {
  readonly vmId: pulumi.Output<string>;
  readonly connection: types.input.remote.ConnectionArgs;
  readonly ready: command.remote.Command;
  readonly base: NodeStep;

  constructor(name: string, args: ProvisionedNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:lab:Node", name, {}, opts);
    const { lab, node } = args;
    const nics = planNics(lab, args.labName, node);
    const seed = pulumi.output(args.sshPublicKey).apply((key) => renderSeed({ hostname: node.name, user: lab.user, sshPublicKey: key, nics }));
    const machine = args.hypervisor.machine(
      `${name}-machine`,
      { host: args.host, lab, labName: args.labName, node, nics, seed, baseImage: args.baseImage, networkDevices: args.networkDevices },
      { parent: this, dependsOn: args.hostDependencies },
    );
    this.vmId = machine.vmId;
    this.connection = args.host.nodeConnection(
      sshPort(node),
      lab.user,
      args.credentials.apply((c) => c.sshPrivateKey),
    );
    // On the lab host first: the gate's dial through a remote host cannot wait for a booting node.
    const sshUp = args.host.script(
      `${name}-ssh`,
      { script: "host/wait-ssh.sh", environment: { PORT: String(sshPort(node)) }, triggers: [this.vmId] },
      { parent: this, dependsOn: [machine] },
    );
    this.ready = new command.remote.Command(
      `${name}-ready`,
      // In a verify round the gate waits again: the VM may just have been restarted.
      { connection: this.connection, create: readyCommand(args.host.verify), triggers: [this.vmId], addPreviousOutputInEnv: false },
      { parent: this, dependsOn: [sshUp], customTimeouts: { create: "20m" } },
    );
    this.base = new NodeStep(
      `${name}-base`,
      { connection: this.connection, step: args.base, credentials: args.credentials, vmId: this.vmId, verify: args.host.verify },
      { parent: this, dependsOn: [this.ready] },
    );
    this.registerOutputs({ vmId: this.vmId });
  }
}
