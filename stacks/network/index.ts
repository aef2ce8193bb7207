// The virtual networking labs (1-10 and the tunnels) as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import { parseNetworkLab } from "../../model/parse.js";
import type { NetworkLabConfig } from "../../model/schema.js";
import { withEnvironmentProxy } from "../../plan/host.js";
import type { LabKind } from "../kind.js";
import { NetworkLab } from "./NetworkLab.js";

export const network: LabKind<NetworkLabConfig> = {
  kind: "network",
  parse: parseNetworkLab,
  build(lab, stack, options, opts) {
    const built = new NetworkLab(stack, { ...options, lab: withEnvironmentProxy(lab, process.env), labName: stack }, opts);
    return {
      description: built.description,
      nodes: built.nodes,
      ssh_config: built.sshConfig,
      topology: built.topology,
      credentials: pulumi.secret(built.credentials),
      checks: built.checks,
      host: built.hostAccess,
      next: built.next,
    };
  },
};
