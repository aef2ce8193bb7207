// What the model needs of a hypervisor to check a lab: its config branch, the rules that hold only
// for it and its guests' NIC names. The model never imports a hypervisor: the registry at the top
// hands these descriptions down (like netlab's core, which reads a provider's description without
// its code), so model/ and plan/ stay below components/ and stacks/.
import type { z } from "zod";

/** Reports a problem with the config key at `path` (under labstack:lab). */
export type AddIssue = (path: (string | number)[], message: string) => void;

/** Every hypervisor's config has its kind; the rest is its own (read only by its spec). */
export interface HypervisorConfig {
  readonly kind: string;
}

export interface HypervisorModel<L = unknown> {
  /** `hypervisor.kind` in the stack config. */
  readonly kind: string;
  /** Its `hypervisor` config: one branch of the lab's union on `kind`. */
  readonly schema: z.ZodObject;
  /** The name the guest kernel gives a node's NIC `index` (0-based). */
  guestDevice(index: number): string;
  /** Config rules that hold only on this hypervisor. */
  rules(lab: L, add: AddIssue): void;
}
