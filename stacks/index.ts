// The lab kinds labstack knows. Adding one is a folder beside these (its model, plan, components
// and LabKind in index.ts) and a line in BUILT_IN; registerLabKind adds one from elsewhere (a test
// does, with a kind layered on the OpenStack lab).

import type * as pulumi from "@pulumi/pulumi";
import { hypervisors } from "../components/hypervisor/registry.js";
import { CONFIG_KEY, LabConfigError } from "../model/parse.js";
import type { HostFacts } from "../model/rules.js";
import type { AnyLabConfig } from "../model/schema.js";
import type { BuildContext, LabKind, StackExports } from "./kind.js";
import { minikube } from "./minikube/index.js";
import { network } from "./network/index.js";
import { openstack } from "./openstack/index.js";

const BUILT_IN: readonly LabKind[] = [openstack, network, minikube] as LabKind[];
const added: LabKind[] = [];
const kinds = (): readonly LabKind[] => [...BUILT_IN, ...added];

/** The registered kind named `kind`, if any. */
export const kindOf = (kind: string) => kinds().find((k) => k.kind === kind);

/** Adds a lab kind defined elsewhere: parsing and building then treat it like the built-in ones. */
export function registerLabKind<L extends AnyLabConfig>(kind: LabKind<L>): void {
  if (kindOf(kind.kind) !== undefined) throw new Error(`lab kind '${kind.kind}' is already registered`);
  added.push(kind as unknown as LabKind);
}

/** The entry point's parser: any kind of lab, chosen by `kind`, checked against the hypervisors
 * the registry knows. */
export function parseStack(raw: unknown, facts: HostFacts = {}): AnyLabConfig {
  const kind = raw !== null && typeof raw === "object" ? (raw as { kind?: unknown }).kind : undefined;
  const found = typeof kind === "string" ? kindOf(kind) : undefined;
  if (raw !== undefined && raw !== null && found === undefined) {
    const known = kinds()
      .map((k) => k.kind)
      .join(", ");
    throw new LabConfigError([`${CONFIG_KEY}.kind: must be one of ${known}${kind === undefined ? "" : ` (got ${JSON.stringify(kind)})`}`]);
  }
  return (found ?? openstack).parse(raw, { hypervisors: hypervisors().map((h) => h.spec), facts });
}

/** Builds the lab its kind describes and returns what the stack exports: an output the lab does
 * not have (a local host's `host`) is left out, not exported as undefined. */
export function buildLab(lab: AnyLabConfig, context: BuildContext, opts?: pulumi.ComponentResourceOptions): StackExports {
  const exports = kindOf(lab.kind)!.build(lab, context, opts);
  return Object.fromEntries(Object.entries(exports).filter(([, value]) => value !== undefined));
}
