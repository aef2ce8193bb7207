// The one way into the lab model: raw stack config in, a typed lab or one error naming every bad
// key out. Called before any resource is constructed, so bad config changes nothing.
import type { z } from "zod";
import type { LabIssue } from "./rules.js";

/** The stack config key the lab lives under (`labstack:lab` in Pulumi.<stack>.yaml). */
export const CONFIG_KEY = "labstack:lab";

export class LabConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid stack config:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "LabConfigError";
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => (typeof part === "number" ? `${out}[${part}]` : `${out}.${String(part)}`), CONFIG_KEY);
}

function format(issue: LabIssue | { path: readonly PropertyKey[]; message: string }): string {
  return `${"key" in issue && issue.key !== undefined ? issue.key : formatPath(issue.path)}: ${issue.message}`;
}

/** The schema first, then the rules that relate its fields; either way one error lists every problem. */
export function parseWith<T>(schema: z.ZodType<T, unknown>, check: (lab: T) => LabIssue[], raw: unknown): T {
  if (raw === undefined || raw === null) throw new LabConfigError([`${CONFIG_KEY}: is missing; set it in Pulumi.<stack>.yaml`]);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new LabConfigError(parsed.error.issues.map(format));
  const issues = check(parsed.data);
  if (issues.length) throw new LabConfigError(issues.map(format));
  return parsed.data;
}
