// The checkpoint a lab keeps of itself: `ready`, every node as `up` made it, taken once the checks
// are green and taken again when what a node is made of changed (a rebuilt VM, a step that ran with
// new parameters), not when a refresh repaired something. Restored in seconds by the CLI
// (`labstack checkpoint STACK restore ready`); a node's checkpoints live in its disk, so destroy
// takes them all.
import type * as pulumi from "@pulumi/pulumi";
import { checkpointStep, READY_CHECKPOINT } from "../../plan/checkpoint.js";
import type { LabPlan } from "../../plan/types.js";
import type { LabHostConnection } from "../host/connection.js";
import { hostObject } from "./hostObject.js";
import { digest, type NodeStep } from "./NodeStep.js";
import type { ProvisionedNode } from "./ProvisionedNode.js";

/** One `ready` checkpoint per node, after `after` (the checks); `steps` are what each node is made of. */
export function readyCheckpoints(
  name: string,
  parent: pulumi.Resource,
  args: { plan: LabPlan; host: LabHostConnection; nodes: ReadonlyMap<string, ProvisionedNode>; steps: ReadonlyMap<string, readonly NodeStep[]> },
  after: pulumi.Resource[],
): void {
  const { plan, host } = args;
  if (!plan.config.readyCheckpoint) return;
  for (const node of plan.nodes) {
    const labNode = args.nodes.get(node.name)!;
    hostObject(
      host,
      `${name}-${node.name}-checkpoint-${READY_CHECKPOINT}`,
      {
        ...checkpointStep(plan, node, READY_CHECKPOINT),
        // The host key among them: a lab made before keys were pinned takes `ready` again, so
        // that restoring it brings back the key its connections check.
        identity: digest([labNode.vmId, labNode.hostKey.identity, ...(args.steps.get(node.name) ?? []).map((s) => s.identity)]),
      },
      // Taken again under the same name: the old one's `down` (which deletes `ready`) must run
      // before the new one's `up`, not after it, as a replace otherwise does.
      { parent, dependsOn: after, deleteBeforeReplace: true },
    );
  }
}
