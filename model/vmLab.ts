// A lab kind on VMs, as the model knows it: the keys every such lab has, the kind's own, the rules
// every lab follows and the kind's. The hypervisors' config branches come in as descriptions
// (HypervisorModel), so a kind's parser needs no registry to exist.
import { z } from "zod";
import type { HypervisorConfig, HypervisorModel } from "./hypervisor.js";
import { CONFIG_KEY, LabConfigError, parseWith } from "./parse.js";
import { checkLabRules, type HostFacts, type KindRules } from "./rules.js";
import { type LabCommonShape, type LabConfig, labCommonShape } from "./schema.js";

/** What parsing is told from outside the config: the registered hypervisors and the host's facts. */
export interface ParseContext {
  readonly hypervisors: readonly HypervisorModel<LabConfig>[];
  readonly facts: HostFacts;
}

/** The `hypervisor` key: one branch per registered hypervisor, chosen by `kind`. */
export function hypervisorSchema(hypervisors: readonly HypervisorModel<LabConfig>[]): z.ZodType<HypervisorConfig> {
  const kinds = hypervisors.map((h) => JSON.stringify(h.kind)).join("|");
  const branches = hypervisors.map((h) => h.schema) as [z.ZodObject, ...z.ZodObject[]];
  return z.discriminatedUnion("kind", branches, {
    error: (issue) => (issue.code === "invalid_union" ? `Invalid option: expected one of ${kinds}` : undefined),
  }) as unknown as z.ZodType<HypervisorConfig>;
}

/** The config of a lab kind on VMs: the shared keys, `kind` and the kind's own keys `S`. */
export type VmLabConfig<K extends string, S extends z.ZodRawShape> = z.infer<z.ZodObject<{ kind: z.ZodLiteral<K> } & LabCommonShape & S>>;

export interface VmLabModel<L extends LabConfig> {
  readonly kind: L["kind"];
  /** The memory its VMs need on the host. */
  memoryMiB(lab: L): number;
  /** The whole config checked, or one error naming every bad key. */
  parse(raw: unknown, context: ParseContext): L;
}

/** A kind's model from its own keys and rules. */
export function vmLabModel<K extends string, S extends z.ZodRawShape, L extends LabConfig = VmLabConfig<K, S> & LabConfig>(
  kind: K,
  shape: S,
  rules: KindRules<L>,
): VmLabModel<L> {
  const memoryMiB = (lab: L) => lab.nodes.reduce((sum, n) => sum + n.memoryMiB, 0);
  return {
    kind,
    memoryMiB,
    parse(raw, { hypervisors, facts }) {
      const schema = z.strictObject({ kind: z.literal(kind), ...labCommonShape(hypervisorSchema(hypervisors)), ...shape });
      return parseWith(
        schema as unknown as z.ZodType<L, unknown>,
        (lab) => {
          const hypervisor = hypervisors.find((h) => h.kind === lab.hypervisor.kind);
          if (hypervisor === undefined) throw new LabConfigError([`${CONFIG_KEY}.hypervisor.kind: unknown hypervisor ${lab.hypervisor.kind}`]);
          return checkLabRules(lab, hypervisor, rules, memoryMiB(lab), facts);
        },
        raw,
      );
    },
  };
}
