// A Linux bridge on the lab host (host/bridge.sh), as the QEMU driver's networks and a bridged
// lab's self-made bridge use it. Returns the bridge's name once it exists.
import type * as pulumi from "@pulumi/pulumi";
import type { LabNetwork } from "../../model/schema.js";
import { BRIDGE_SCRIPT, bridgeEnvironment } from "../../plan/bridge.js";
import type { LabHostConnection } from "../host/connection.js";

export function hostBridge(name: string, parent: pulumi.Resource, host: LabHostConnection, labName: string, network: LabNetwork): pulumi.Output<string> {
  const environment = bridgeEnvironment(labName, network);
  const bridge = host.script(
    name,
    // A different bridge, kind or address is a different network: rebuild it, old one first.
    { script: BRIDGE_SCRIPT, environment, triggers: [environment] },
    { parent, deleteBeforeReplace: true },
  );
  return bridge.stdout.apply(() => environment.DEVICE);
}
