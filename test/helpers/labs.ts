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

/** A stack's lab adapted to run inside a test namespace: our Debian image instead of a
 * download, state and credentials under a temporary folder, the APT cache fetching through the
 * CI's cache on the namespace link. */
export function namespacedLab(stack: string, image: { disk: string; kernel: string; initrd: string }, stateDir: string, upstream: string): Record<string, any> {
  const raw = stackLab(stack);
  raw.image = { path: image.disk, kernel: image.kernel, initrd: image.initrd };
  raw.host = { ...(raw.host ?? { kind: "local" }), stateDir };
  raw.credentialsDir = join(stateDir, "credentials");
  raw.aptCache = { ...(raw.aptCache ?? {}), upstreamProxy: `http://${upstream}:3142` };
  return raw;
}
