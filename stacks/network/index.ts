// The virtual networking labs (1-10 and the tunnels) as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import { hypervisorOf } from "../../components/hypervisor/registry.js";
import { planLab } from "../../plan/lab.js";
import type { LabKind } from "../kind.js";
import { type NetworkLabConfig, networkModel } from "./model.js";
import { NetworkLab } from "./NetworkLab.js";

export const network: LabKind<NetworkLabConfig> = {
  kind: "network",
  parse: networkModel.parse,
  build(lab, { stack, hostPrivateKey }, opts) {
    const hypervisor = hypervisorOf(lab.hypervisor.kind);
    const built = new NetworkLab(stack, { plan: planLab(lab, stack, hypervisor.spec), hypervisor, hostPrivateKey }, opts);
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
