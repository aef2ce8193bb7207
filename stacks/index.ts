// The lab kinds labstack knows. Adding one is a folder beside these (its component, its LabKind
// in index.ts) and a line in LAB_KINDS.

import { homedir } from "node:os";
import type * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEY, LabConfigError } from "../model/parse.js";
import type { HostFacts } from "../model/rules/common.js";
import type { AnyLab } from "../model/schema.js";
import { resolveHomePaths } from "../plan/host.js";
import type { BuildOptions, LabKind, StackExports } from "./kind.js";
import { minikube } from "./minikube/index.js";
import { network } from "./network/index.js";
import { openstack } from "./openstack/index.js";

const LAB_KINDS: readonly LabKind[] = [openstack, network, minikube] as LabKind[];

const kindOf = (kind: string) => LAB_KINDS.find((k) => k.kind === kind);

/** The entry point's parser: any kind of lab, chosen by `kind`. */
export function parseStack(raw: unknown, facts: HostFacts = {}): AnyLab {
  const kind = raw !== null && typeof raw === "object" ? (raw as { kind?: unknown }).kind : undefined;
  const found = typeof kind === "string" ? kindOf(kind) : undefined;
  if (raw !== undefined && raw !== null && found === undefined) {
    const known = LAB_KINDS.map((k) => k.kind).join(", ");
    throw new LabConfigError([`${CONFIG_KEY}.kind: must be one of ${known}${kind === undefined ? "" : ` (got ${JSON.stringify(kind)})`}`]);
  }
  return (found ?? openstack).parse(raw, facts);
}

/** Builds the lab its kind describes and returns what the stack exports: an output the lab does
 * not have (a local host's `host`) is left out, not exported as undefined. */
export function buildLab(parsed: AnyLab, stack: string, options: BuildOptions = {}, opts?: pulumi.ComponentResourceOptions): StackExports {
  const exports = kindOf(parsed.kind)!.build(resolveHomePaths(parsed, homedir()), stack, options, opts);
  return Object.fromEntries(Object.entries(exports).filter(([, value]) => value !== undefined));
}
