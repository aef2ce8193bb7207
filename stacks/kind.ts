// What a lab kind is to the entry point: how its config is read, and what it builds and exports.
// Each kind is a folder here (openstack/, network/, minikube/) listed in index.ts.
import type * as pulumi from "@pulumi/pulumi";
import type { HostFacts } from "../model/rules/common.js";
import type { AnyLab } from "../model/schema.js";

export interface BuildOptions {
  /** Private key for an `ssh` lab host. */
  readonly hostPrivateKey?: pulumi.Input<string>;
  /** The verify round (`labstack:verify`). */
  readonly verify?: number;
}

/** The stack's outputs by name (`pulumi stack output <name>`): other tools read these, and a kind
 * exports only what it has. */
export type StackExports = Readonly<Record<string, pulumi.Input<unknown>>>;

export interface LabKind<L extends AnyLab = AnyLab> {
  /** `kind` in the stack config. */
  readonly kind: L["kind"];
  /** The whole config checked, or one error naming every bad key (model/parse.ts). */
  parse(raw: unknown, facts: HostFacts): L;
  build(lab: L, stack: string, options: BuildOptions, opts?: pulumi.ComponentResourceOptions): StackExports;
}
