// Where a stack's lab comes from. The Pulumi.<stack>.yaml files of the repository are templates:
// Pulumi keeps each stack's own config elsewhere (Pulumi.yaml's stackConfigDir, out of git), so
// neither `pulumi up` nor a learner's `pulumi config set` ever writes a tracked file. A stack's
// own `labstack:lab` overrides the template key by key, list items by position:
// `pulumi config set --path 'labstack:lab.nodes[2].memoryMiB' 2048` changes compute2 alone.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_KEY } from "../model/parse.js";

/** The `labstack:lab` of the template for `stack` in `root`, if there is one. */
export function templateLab(root: string, stack: string): unknown {
  const file = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return undefined;
  return (parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config?.[CONFIG_KEY];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** `overrides` over `base`: objects key by key, lists item by item; a missing or null item keeps the base's. */
export function overlay(base: unknown, overrides: unknown): unknown {
  if (overrides === undefined || overrides === null) return base;
  if (Array.isArray(base) && Array.isArray(overrides)) {
    return Array.from({ length: Math.max(base.length, overrides.length) }, (_, i) => overlay(base[i], overrides[i]));
  }
  if (isObject(base) && isObject(overrides)) {
    return Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(overrides)])].map((k) => [k, overlay(base[k], overrides[k])]));
  }
  return overrides;
}

/** The lab a stack runs: its template with the stack's own config over it. */
export function stackLab(root: string, stack: string, own: unknown): unknown {
  return overlay(templateLab(root, stack), own);
}
