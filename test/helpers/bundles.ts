// What a bundle (plan/scripts.ts) carries, read from its text, and what its scripts call that it
// does not carry.
import { readFileSync } from "node:fs";
import { scriptPath } from "./labs.js";

/** The files a bundle writes into its folder, as paths under provisioning/. */
export function shippedFiles(bundleText: string): string[] {
  return [...bundleText.matchAll(/> "\$dir\/([^"]+)"$/gm)].map((m) => m[1]);
}

/** Scripts the shipped files run or source by their path in the bundle ("$LABSTACK_DIR/x/y.sh")
 * that the bundle does not carry. */
export function missingCompanions(bundleText: string): string[] {
  const shipped = new Set(shippedFiles(bundleText));
  const called = [...shipped].flatMap((f) => [...readFileSync(scriptPath(f), "utf8").matchAll(/\$LABSTACK_DIR\/([A-Za-z0-9/_.-]+\.sh)/g)].map((m) => m[1]));
  return [...new Set(called)].filter((f) => !shipped.has(f)).sort();
}

/** A parameter's value as a bundle hands it to its script (`    NAME='value' \`), unquoted. */
export function bundleParam(bundleText: string, name: string): string | undefined {
  return new RegExp(`\\n {4}${name}='((?:[^']|'\\\\'')*)' \\\\\\n`).exec(bundleText)?.[1].replaceAll(`'\\''`, "'");
}
