// Lab configs for tests, built from the real stack files so tests exercise what users run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { parse } from "yaml";
import { hypervisorOf } from "../../components/hypervisor/registry.js";
import { LabConfigError } from "../../model/parse.js";
import type { LabConfig } from "../../model/schema.js";
import { planLab } from "../../plan/lab.js";
import { PROVISIONING_DIR } from "../../plan/scripts.js";
import type { LabPlan } from "../../plan/types.js";
import { parseStack } from "../../stacks/index.js";

export const ROOT = join(import.meta.dirname, "..", "..");

/** The raw `labstack:lab` object of a Pulumi.<stack>.yaml. */
export function stackLab(stack: string): Record<string, any> {
  const doc = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
  return structuredClone(doc.config["labstack:lab"]);
}

/** The plan of a lab on VMs as the program makes it: parsed, checked and planned for `stack`. */
export function labPlan(raw: unknown, stack = "dev"): LabPlan {
  const lab = parseStack(raw) as LabConfig;
  return planLab(lab, stack, hypervisorOf(lab.hypervisor.kind).spec);
}

/** A provisioning script in this checkout, to run it directly as a test does. */
export const scriptPath = (path: string) => join(PROVISIONING_DIR, path);

/** The issues of the one LabConfigError `run` throws (it must throw one: an accepted config fails the test). */
export function configIssues(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(LabConfigError);
    return [...(e as LabConfigError).issues];
  }
  throw new Error("config was accepted");
}
