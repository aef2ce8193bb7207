// The virtual networking labs (1-10 and the tunnels) as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import { hypervisorOf } from "../../components/hypervisor/registry.js";
import { planLab } from "../../plan/lab.js";
import { labTopology } from "../../plan/topology.js";
import type { LabKind } from "../kind.js";
import { type NetworkLabConfig, networkModel } from "./model.js";
import { NetworkLab } from "./NetworkLab.js";
import { checkWaves, guestNetworkStep, hostServices, planChecks } from "./plan.js";

const planned = (lab: NetworkLabConfig, stack: string) => planLab(lab, stack, hypervisorOf(lab.hypervisor.kind).spec);

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
      inventory: built.inventory,
      host_keys: built.hostKeys,
      known_hosts: built.knownHosts,
      topology: built.topology,
      credentials: pulumi.secret(built.credentials),
      checks: built.checks,
      host: built.hostAccess,
      next: built.next,
    };
  },
  checks: (lab, stack) => checkWaves(planChecks(planned(lab, stack))).flatMap((wave, i) => wave.map((check) => ({ ...check, wave: i }))),
  topology: (lab, stack) => labTopology(planned(lab, stack)),
  statuses(lab, stack) {
    const plan = planned(lab, stack);
    return [
      ...plan.nodes.flatMap((node) => {
        const step = guestNetworkStep(plan, node.name);
        return step === undefined ? [] : [{ name: `${node.name}/guest-network`, on: { node: node.name }, step }];
      }),
      ...hostServices(plan).map((s) => ({ name: s.name, on: "host" as const, step: s.step })),
    ];
  },
};
