// What a hypervisor is to labstack, in one object per folder (qemu/, virtualbox/) that
// registry.ts lists: its part of the stack config, the rules and guest names that hold only for
// it, what its lab host needs, and the Pulumi components that make its networks and VMs. The
// model, the plan and the lab components ask the registry; none of them switches on the kind.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { Lab, LabNetwork, LabNode } from "../../model/schema.js";
import type { SeedDocuments } from "../../plan/cloudinit.js";
import type { NicPlan } from "../../plan/nics.js";
import type { LabHostConnection } from "../host/connection.js";

/** Reports a problem with the config key at `path` (under labstack:lab). */
export type AddIssue = (path: (string | number)[], message: string) => void;

/** A command the hypervisor needs on its lab host, and how to get it. */
export interface HostTool {
  readonly command: string;
  /** The Debian/Ubuntu package host preparation installs when the command is missing. */
  readonly package?: string;
  /** Without a package: what the learner must do (the hypervisor is not in the distribution). */
  readonly missing?: string;
}

/** What the host preflight needs to know of the hypervisor (host/preflight.sh). */
export interface PreflightFacts {
  /** The hypervisor would be unusable without KVM on this host. */
  readonly requireKvm: boolean;
  /** What of the hypervisor's work needs root, for the preflight's sudo message. */
  readonly needRoot: readonly string[];
  /** What names a running VM of the node on the host (its forward port is then the lab's own):
   * by default a process with this argument; `hostChecks` may redefine that test. */
  runningVm(node: LabNode): string;
  /** The host's device for a network the host has an address on, or the file that names it. */
  ownDevice(net: LabNetwork): string;
}

/** A lab-host step of the hypervisor's own: a script under provisioning/ (up/down) and its parameters. */
export interface HostSetup {
  readonly script: string;
  readonly environment: Record<string, string>;
}

export interface NetworkArgs {
  readonly host: LabHostConnection;
  readonly labName: string;
  readonly network: LabNetwork;
}

export interface MachineArgs {
  readonly host: LabHostConnection;
  readonly lab: Lab;
  readonly labName: string;
  readonly node: LabNode;
  readonly nics: readonly NicPlan[];
  readonly seed: pulumi.Input<SeedDocuments>;
  /** The base image on the lab host, from the image step. */
  readonly baseImage: pulumi.Input<string>;
  /** Host device of each lab network, by network name (bridges, vboxnetN). */
  readonly networkDevices: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export type NetworkResource = pulumi.ComponentResource & { readonly device: pulumi.Output<string> };
export type MachineResource = pulumi.ComponentResource & { readonly vmId: pulumi.Output<string> };

export interface Hypervisor<S extends z.ZodObject = z.ZodObject> {
  /** `hypervisor.kind` in the stack config. */
  readonly kind: string;
  /** Its `hypervisor` config: one branch of the model's union on `kind`. */
  readonly schema: S;
  /** The name the guest kernel gives the node's NIC `index` (0-based): guest config and checks use it. */
  guestDevice(index: number): string;
  /** Config rules that hold only on this hypervisor. */
  rules(lab: Lab, add: AddIssue): void;
  /** Commands its lab host needs. */
  readonly hostTools: readonly HostTool[];
  /** Its own host checks for the preflight: a script under provisioning/ that host/preflight.sh
   * sources (see its header), e.g. kernel drivers; it may say how to see a running VM of the lab. */
  readonly hostChecks?: string;
  /** Packages a droplet gets at creation to run it. */
  readonly dropletPackages: readonly string[];
  /** Its own setup of the lab host after the common preparation, if the lab needs one (VirtualBox:
   * the lab's host-only ranges in networks.conf); the lab's networks wait for it. */
  hostSetup?(lab: Lab, labName: string): HostSetup | undefined;
  preflight(lab: Lab, labName: string, stateDir: string): PreflightFacts;
  /** A host-side network; its `device` output names the host interface. */
  network(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions): NetworkResource;
  /** A VM for one node; its `vmId` changes whenever the VM is rebuilt. */
  machine(name: string, args: MachineArgs, opts: pulumi.ComponentResourceOptions): MachineResource;
}
