// A Linux bridge on the lab host (host/bridge.sh), as the QEMU driver's networks and a bridged
// lab's self-made bridge use it, read back at `pulumi refresh`. Its device name is the plan's, so
// the VMs on it know it before it exists.
import * as pulumi from "@pulumi/pulumi";
import { BRIDGE_SCRIPT, bridgeEnvironment } from "../../plan/bridge.js";
import type { LabPlan, NetworkPlan } from "../../plan/types.js";
import type { LabHostConnection } from "../host/connection.js";
import { hostObject } from "../lab/hostObject.js";

export function hostBridge(
  name: string,
  parent: pulumi.Resource,
  host: LabHostConnection,
  plan: LabPlan,
  network: NetworkPlan,
): { device: pulumi.Output<string>; identity: Record<string, string> } {
  const environment = bridgeEnvironment(plan.name, network);
  hostObject(
    host,
    name,
    // A different bridge, kind or address is a different network: rebuild it, old one first.
    { script: BRIDGE_SCRIPT, environment, identity: environment, status: environment },
    { parent, deleteBeforeReplace: true },
  );
  // VMs wait for the bridge through their dependencies; its name needs no waiting.
  return { device: pulumi.output(environment.DEVICE), identity: environment };
}
