// A hypervisor driver makes lab networks and VMs on the lab host. Nodes, services and checks only
// see the SSH connection a machine gives, so they are the same on every hypervisor.
import type * as pulumi from "@pulumi/pulumi";
import type { LabHostConnection } from "../host/connection.js";
import type { Lab, LabNetwork, LabNode } from "../model/schema.js";
import type { SeedDocuments } from "../plan/cloudinit.js";
import type { NicPlan } from "../plan/nics.js";

export interface NetworkArgs {
  readonly host: LabHostConnection;
  readonly network: LabNetwork;
}

export interface MachineArgs {
  readonly host: LabHostConnection;
  readonly lab: Lab;
  readonly node: LabNode;
  readonly nics: readonly NicPlan[];
  readonly seed: pulumi.Input<SeedDocuments>;
  /** The base image on the lab host, from the image step. */
  readonly baseImage: pulumi.Input<string>;
  /** Host device of each lab network, by network name (bridges, vboxnetN). */
  readonly networkDevices: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface HypervisorDriver {
  readonly kind: Lab["hypervisor"]["kind"];
  /** A host-side network; its `device` output names the host interface. */
  network(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions): pulumi.ComponentResource & { readonly device: pulumi.Output<string> };
  /** A VM for one node; its `id` changes whenever the VM is rebuilt. */
  machine(name: string, args: MachineArgs, opts: pulumi.ComponentResourceOptions): pulumi.ComponentResource & { readonly vmId: pulumi.Output<string> };
}
