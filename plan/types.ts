// The plan's types: what a lab on VMs is once planned (LabPlan, built once by lab.ts), and what a
// hypervisor is to the pure layers (HypervisorSpec: everything about it that can be known without
// running anything: its config branch and rules, its guests' NIC names, what its lab host needs,
// the parameters of its scripts). Each hypervisor's spec is a module in plan/hypervisors/; its
// Pulumi components live in components/hypervisor/<kind>/, and the registry joins the two.
import type { HypervisorModel } from "../model/hypervisor.js";
import type { LabConfig, LabNetwork, LabNode } from "../model/schema.js";
import type { Script } from "./scripts.js";

export interface NetworkPlan {
  readonly config: LabNetwork;
  readonly name: string;
  readonly kind: LabNetwork["kind"];
  /** The host's own address with the network's prefix (192.168.1.1/24), when it has one. */
  readonly hostCidr?: string;
}

export interface NicPlan {
  readonly index: number;
  readonly network: NetworkPlan;
  readonly kind: LabNetwork["kind"];
  /** The name the guest kernel gives it. */
  readonly device: string;
  readonly mac: string;
  readonly ip?: string;
  readonly prefix?: number;
  readonly promiscuous: boolean;
  readonly sshPort?: number;
}

export interface NodePlan {
  readonly config: LabNode;
  readonly name: string;
  readonly nics: readonly NicPlan[];
  /** The forward of its SSH port on the lab host's loopback. */
  readonly sshPort: number;
  /** Its address on the management network, else its first static address (networking labs). */
  readonly address?: string;
  /** Where its VM's files live on the lab host. */
  readonly vmDir: string;
}

export interface LabPlan<C extends LabConfig = LabConfig> {
  readonly config: C;
  /** The stack's name: it names the lab's host objects and state. */
  readonly name: string;
  readonly hypervisor: HypervisorSpec;
  readonly networks: readonly NetworkPlan[];
  readonly nodes: readonly NodePlan[];
  readonly management?: NetworkPlan;
  /** The lab's state folder on its host; `~/` is the home there, expanded by the scripts. */
  readonly stateDir: string;
  /** Where credentials.yaml and the lab's key go on the lab host. */
  readonly credentialsDir: string;
  /** The lab's APT cache as its nodes (and the image build) reach it, when it has one. */
  readonly aptProxy?: string;
  network(name: string): NetworkPlan;
  node(name: string): NodePlan;
}

export interface SeedDocuments {
  readonly userData: string;
  readonly metaData: string;
  readonly networkConfig: string;
}

/** A command the lab host needs, and how to get it. */
export interface HostTool {
  /** A command on the PATH, or a file (an absolute path) the tool needs. */
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
  runningVm(node: NodePlan): string;
  /** The host's device for a network the host has an address on, or the file that names it. */
  ownDevice(net: NetworkPlan): string;
}

/** A lab-host step: a script (up/down) and its parameters. */
export interface HostStep {
  readonly script: Script;
  readonly environment: Readonly<Record<string, string>>;
}

/** What a VM script is given for one node. `baseImage` and `devices` are the image step's and the
 * networks' results on the host; the identity of a VM is these parameters with the plan's own
 * names for them (HostIdentity), so that it is known before those steps ran. */
export interface MachineEnvironmentArgs {
  readonly plan: LabPlan;
  readonly node: NodePlan;
  readonly seed: SeedDocuments;
  readonly baseImage: string;
  /** Host device of each lab network, by network name. */
  readonly devices: Readonly<Record<string, string>>;
}

export interface HypervisorSpec extends HypervisorModel<LabConfig> {
  /** Commands its lab host needs. */
  readonly hostTools: readonly HostTool[];
  /** Its own host checks for the preflight: a script under provisioning/ that host/preflight.sh
   * sources (see its header), e.g. kernel drivers; it may say how to see a running VM of the lab. */
  readonly hostChecks?: string;
  /** Packages a droplet gets at creation to run it. */
  readonly dropletPackages: readonly string[];
  /** Its own setup of the lab host after the common preparation, if the lab needs one (VirtualBox:
   * the lab's host-only ranges in networks.conf); the lab's networks wait for it. */
  hostSetup?(plan: LabPlan): HostStep | undefined;
  preflight(plan: LabPlan): PreflightFacts;
  /** The script that makes, checks and removes one node's VM (up/down/status), stops it and
   * keeps its checkpoints (stop, checkpoint ...). */
  readonly vmScript: Script;
  /** Its parameters for one node. */
  machineEnvironment(args: MachineEnvironmentArgs): Record<string, string>;
  /** The parameters it needs for anything but `up` (status, stop, checkpoints): which VM. */
  vmIdentity(plan: LabPlan, node: NodePlan): Record<string, string>;
  /** QEMU's accelerator for the image builder VM, which runs whatever the lab's hypervisor. */
  builderAccel(config: LabConfig): string;
}
