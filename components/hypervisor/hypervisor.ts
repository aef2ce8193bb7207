// What a hypervisor is to the lab components: its pure spec (plan/hypervisors/<kind>.ts: config,
// rules, names, script parameters) and the Pulumi components that make its networks and VMs. One
// object per folder (qemu/, virtualbox/), listed by registry.ts.
import type * as pulumi from "@pulumi/pulumi";
import type { HypervisorSpec, LabPlan, NetworkPlan, NodePlan, SeedDocuments } from "../../plan/types.js";
import type { LabHostConnection } from "../host/connection.js";
import type { Health } from "../lab/Health.js";

export interface NetworkArgs {
  readonly host: LabHostConnection;
  readonly plan: LabPlan;
  readonly network: NetworkPlan;
}

export interface MachineArgs {
  readonly host: LabHostConnection;
  readonly plan: LabPlan;
  readonly node: NodePlan;
  readonly seed: pulumi.Input<SeedDocuments>;
  /** The base image on the lab host, from the image step. */
  readonly baseImage: pulumi.Input<string>;
  /** Host device of each lab network, by network name (bridges, vboxnetN). */
  readonly networkDevices: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** What the VM is made from besides its own parameters: the image step's and the networks'
   * identities, known before those steps run, so a preview shows exactly what a change rebuilds. */
  readonly sources: Readonly<Record<string, unknown>>;
}

/** A network on the host: its device, once made, and what it is. */
export type NetworkResource = pulumi.ComponentResource & { readonly device: pulumi.Output<string>; readonly identity: unknown };
/** A VM: `vmId` changes whenever it is rebuilt; `health` reads it back at a refresh. */
export type MachineResource = pulumi.ComponentResource & { readonly vmId: pulumi.Output<string>; readonly health: Health };

export interface Hypervisor {
  readonly spec: HypervisorSpec;
  /** A host-side network; its `device` output names the host interface. */
  network(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions): NetworkResource;
  /** A VM for one node; its `vmId` changes whenever the VM is rebuilt. */
  machine(name: string, args: MachineArgs, opts: pulumi.ComponentResourceOptions): MachineResource;
}
