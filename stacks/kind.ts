// What a lab kind is to the entry point: how its config is read, and what it builds and exports.
// Each kind is a folder here (openstack/, network/, minikube/) listed in index.ts.
import type * as pulumi from "@pulumi/pulumi";
import type { AnyLabConfig } from "../model/schema.js";
import type { ParseContext } from "../model/vmLab.js";

export interface BuildContext {
  /** The stack's name: names the lab's host objects and state. */
  readonly stack: string;
  /** Private key for an `ssh` lab host (`labstack:hostPrivateKey`). */
  readonly hostPrivateKey?: pulumi.Input<string>;
}

/** The stack's outputs by name (`pulumi stack output <name>`): other tools read these, and a kind
 * exports only what it has. */
export type StackExports = Readonly<Record<string, pulumi.Input<unknown>>>;

export interface LabKind<L extends AnyLabConfig = AnyLabConfig> {
  /** `kind` in the stack config. */
  readonly kind: string;
  /** The whole config checked, or one error naming every bad key (model/parse.ts). */
  parse(raw: unknown, context: ParseContext): L;
  build(lab: L, context: BuildContext, opts?: pulumi.ComponentResourceOptions): StackExports;
}
