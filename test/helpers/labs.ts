// Lab configs for tests, built from the real stack files so tests exercise what users run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const ROOT = join(import.meta.dirname, "..", "..");

/** The raw `labstack:lab` object of a Pulumi.<stack>.yaml. */
export function stackLab(stack: string): Record<string, any> {
  const doc = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
  return structuredClone(doc.config["labstack:lab"]);
}
