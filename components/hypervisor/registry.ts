// The hypervisors labstack knows. Adding one is a spec in plan/hypervisors/, a folder beside
// qemu/ and virtualbox/ here (its components), provisioning/<kind>/, and a line in BUILT_IN.
import type { Hypervisor } from "./hypervisor.js";
import { qemu } from "./qemu/index.js";
import { virtualbox } from "./virtualbox/index.js";

const BUILT_IN: readonly Hypervisor[] = [virtualbox, qemu];
const added: Hypervisor[] = [];

/** Every hypervisor a lab may name. */
export const hypervisors = (): readonly Hypervisor[] => [...BUILT_IN, ...added];

/** Adds a hypervisor defined elsewhere (a plugin package, or a test's fake): parsing, planning
 * and the lab components then treat it like the built-in ones. */
export function registerHypervisor(hypervisor: Hypervisor): void {
  if (hypervisors().some((h) => h.spec.kind === hypervisor.spec.kind)) throw new Error(`hypervisor '${hypervisor.spec.kind}' is already registered`);
  added.push(hypervisor);
}

export function hypervisorOf(kind: string): Hypervisor {
  const found = hypervisors().find((h) => h.spec.kind === kind);
  if (found === undefined)
    throw new Error(
      `unknown hypervisor '${kind}' (known: ${hypervisors()
        .map((h) => h.spec.kind)
        .join(", ")})`,
    );
  return found;
}
