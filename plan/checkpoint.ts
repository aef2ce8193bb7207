// Checkpoints of a lab's nodes: the hypervisor's own snapshots, taken and restored by its vm.sh
// (through host/checkpoint.sh when the lab takes one itself), and the guests' clocks afterwards.
import { provisioning } from "./scripts.js";
import type { Step } from "./steps.js";
import type { HostStep, LabPlan, NodePlan } from "./types.js";

/** The checkpoint a lab keeps of itself once `up` made it green. */
export const READY_CHECKPOINT = "ready";

/** host/checkpoint.sh saving checkpoint `name` of `node` with the hypervisor's vm.sh (shipped with it). */
export function checkpointStep(plan: LabPlan, node: NodePlan, name: string): HostStep {
  const vm = plan.hypervisor.vmScript;
  return {
    script: provisioning("host/checkpoint.sh", [vm]),
    environment: { VM_SCRIPT: vm.path, CHECKPOINT: name, ...plan.hypervisor.vmIdentity(plan, node) },
  };
}

/** node/clock.sh: a resumed guest takes the lab host's time `epoch` (seconds). */
export const clockStep = (epoch: number): Step => ({ script: provisioning("node/clock.sh"), env: { EPOCH: String(epoch) } });
