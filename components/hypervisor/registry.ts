// The hypervisors labstack knows. Adding one is a folder beside qemu/ and virtualbox/ (its
// Hypervisor object, its components, provisioning/<kind>/) and a line in BUILT_IN.
import { z } from "zod";
import type { Hypervisor } from "./hypervisor.js";
import { qemu } from "./qemu/index.js";
import { virtualbox } from "./virtualbox/index.js";

const BUILT_IN = () => [virtualbox, qemu] as const;

// Filled on first use, not at load: the model imports this module, and the hypervisors import the
// model's types and the plan's helpers.
const added: Hypervisor[] = [];
const all = (): Hypervisor[] => [...BUILT_IN(), ...added];

/** Adds a hypervisor defined elsewhere (a plugin package, or a test's fake): the model, the plan
 * and the lab components then treat it like the built-in ones. */
export function registerHypervisor(hypervisor: Hypervisor): void {
  if (all().some((h) => h.kind === hypervisor.kind)) throw new Error(`hypervisor '${hypervisor.kind}' is already registered`);
  added.push(hypervisor);
}

export function hypervisorOf(kind: string): Hypervisor {
  const found = all().find((h) => h.kind === kind);
  if (found === undefined)
    throw new Error(
      `unknown hypervisor '${kind}' (known: ${all()
        .map((h) => h.kind)
        .join(", ")})`,
    );
  return found;
}

type BuiltInUnion = z.ZodDiscriminatedUnion<[ReturnType<typeof BUILT_IN>[0]["schema"], ReturnType<typeof BUILT_IN>[1]["schema"]]>;

/** The `hypervisor` config: one branch per registered hypervisor, chosen by `kind`. Typed as the
 * built-in ones: a plugin's config is its own business. */
export const HypervisorConfigSchema = z.lazy((): BuiltInUnion => {
  const kinds = all()
    .map((h) => JSON.stringify(h.kind))
    .join("|");
  const schemas = all().map((h) => h.schema) as unknown as [z.ZodObject, ...z.ZodObject[]];
  return z.discriminatedUnion("kind", schemas, {
    error: (issue) => (issue.code === "invalid_union" ? `Invalid option: expected one of ${kinds}` : undefined),
  }) as unknown as BuiltInUnion;
});
