// The lab's own resource provider: a Pulumi provider plugin (Pulumi.yaml `plugins`, the executable
// beside this file) serving the Health resource (components/lab/Health.ts). It exists because the
// command provider cannot read: its `refresh` keeps whatever a command printed when it ran, so a
// dead VM or a stopped service stays invisible to Pulumi. A plugin rather than a dynamic provider:
// a dynamic provider is serialized into every resource's state as a closure, which breaks under
// ES modules (imports are not capturable) and ties the state to the checkout's path.
import { randomBytes } from "node:crypto";
import type * as provider from "@pulumi/pulumi/provider/index.js";
import { runProgram, type Target } from "./remote.js";

/** The status programs' exit code for "what I made no longer holds". */
export const DRIFTED = 3;
const HEALTHY = "ok";

// Secret inputs arrive wrapped (the engine sends secrets to providers that accept them).
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
type Props = Record<string, unknown>;
const unwrap = (value: unknown): unknown =>
  value !== null && typeof value === "object" && SECRET_SIG in value ? unwrap((value as unknown as { value: unknown }).value) : value;

const same = (a: unknown, b: unknown) => JSON.stringify(unwrap(a)) === JSON.stringify(unwrap(b));
const INPUTS = ["target", "program", "args", "state"];

/** What the status program says: `ok`, the drift it printed, or undefined when it could not be
 * asked (a node that does not answer: its VM's own Health reports that). */
export async function readState(props: Props): Promise<string | undefined> {
  const result = await runProgram(unwrap(props.target) as Target, String(unwrap(props.program)), (unwrap(props.args) as string[]) ?? ["status"], {
    timeoutMs: 30_000,
  });
  if (result.code === 0) return HEALTHY;
  if (result.code === DRIFTED) return (result.stdout.trim() || result.stderr.trim() || "drifted").split("\n")[0];
  return undefined;
}

export function healthProvider(version: string): provider.Provider {
  return {
    version,
    async create(_urn, inputs) {
      return { id: randomBytes(8).toString("hex"), outs: { ...inputs, state: HEALTHY, generation: 0 } };
    },
    async read(id, _urn, props: Props) {
      const state = (await readState(props)) ?? props.state;
      const inputs = Object.fromEntries(INPUTS.map((k) => [k, k === "state" ? state : props[k]]));
      return { id, props: { ...props, state }, inputs };
    },
    async diff(_id, _urn, olds: Props, news: Props) {
      return { changes: INPUTS.some((k) => !same(olds[k], news[k])) };
    },
    async update(_id, _urn, olds: Props, news: Props) {
      const generation = Number(olds.generation ?? 0);
      return { outs: { ...news, state: HEALTHY, generation: olds.state === HEALTHY ? generation : generation + 1 } };
    },
  };
}
