// What a lab kind is to the entry point: how its config is read, and what it builds and exports.
// Each kind is a folder here (openstack/, network/, minikube/) listed in index.ts.
import type * as pulumi from "@pulumi/pulumi";
import type { AnyLabConfig } from "../model/schema.js";
import type { ParseContext } from "../model/vmLab.js";
import type { HostAccess, LabNode } from "../plan/outputs.js";
import type { Step } from "../plan/steps.js";
import type { Topology } from "../plan/topology.js";

/** One of a lab's checks or status probes, as the CLI runs it outside an `up`: where, and the step. */
export interface LabProbe {
  readonly name: string;
  /** The node it runs on, or the lab host. */
  readonly on: { readonly node: string } | "host";
  readonly step: Step;
  /** Checks run wave by wave, side by side within one (a forwarding table is read after the pings
   * that fill it). @default 0 */
  readonly wave?: number;
  /** It reads the guest's clock: after a resume it waits until the clocks are set, while the
   * others run. @default false */
  readonly readsClock?: boolean;
}

export interface BuildContext {
  /** The stack's name: names the lab's host objects and state. */
  readonly stack: string;
  /** Private key for an `ssh` lab host (`labstack:hostPrivateKey`). */
  readonly hostPrivateKey?: pulumi.Input<string>;
}

/**
 * The stack's outputs (`pulumi stack output NAME`, a StackReference's `getOutput(NAME)`), the same
 * names and shapes for every lab kind; a kind leaves out what it does not have. docs/outputs.md
 * documents them for other programs.
 */
export interface LabOutputs {
  readonly description: string;
  /** Every node, one shape across kinds. */
  readonly nodes: readonly LabNode[];
  /** The topology as Mermaid text (`labstack graph` draws the same data as SVG). */
  readonly topology: string;
  /** What each of the learner's checks printed at the last `up`: by check name, or by node and
   * then check name (the OpenStack lab). */
  readonly checks: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
  /** The lab's generated credentials (a secret). */
  readonly credentials: Readonly<Record<string, string>>;
  /** What to type next. */
  readonly next: string;
  /** An OpenSSH client config with one Host entry a node (labs on VMs). */
  readonly ssh_config?: string;
  /** An Ansible inventory of the nodes (labs on VMs). */
  readonly inventory?: string;
  /** Each node's public SSH host key (authorized_keys format), by node name (labs on VMs). */
  readonly host_keys?: Readonly<Record<string, string>>;
  /** The same as known_hosts lines, which ssh_config and the inventory check nodes against (labs on VMs). */
  readonly known_hosts?: string;
  /** Remote lab hosts only. */
  readonly host?: HostAccess;
  /** Minikube: the cluster's kubeconfig (a secret), the services' URLs and the dashboard's. */
  readonly kubeconfig?: string;
  readonly urls?: Readonly<Record<string, string>>;
  readonly dashboard?: string;
}

/** What a kind's build returns: each output it has, or something that resolves to it. */
export type StackExports = { readonly [K in keyof LabOutputs]?: pulumi.Input<LabOutputs[K]> };

export interface LabKind<L extends AnyLabConfig = AnyLabConfig> {
  /** `kind` in the stack config. */
  readonly kind: string;
  /** The whole config checked, or one error naming every bad key (model/parse.ts). */
  parse(raw: unknown, context: ParseContext): L;
  build(lab: L, context: BuildContext, opts?: pulumi.ComponentResourceOptions): StackExports;
  /** Its checks, the same `up` runs, for running them again without the engine (action `up`). */
  checks(lab: L, stack: string): readonly LabProbe[];
  /** What says whether its services still run (action `status`, exit 3 when one does not): the
   * status programs `refresh` runs, for `labstack status`. */
  statuses(lab: L, stack: string): readonly LabProbe[];
  /** What the lab is made of, for its pictures (`labstack graph`) and its `topology` output. */
  topology(lab: L, stack: string): Topology;
}
