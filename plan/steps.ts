// A step is one provisioning script plus its parameters, run on a node. Components turn steps into
// command resources; the VM tests run the very same steps over SSH. Scripts stay plain files:
// parameters travel in the bundle (plan/scripts.ts), never as edits to the script text.
import type { CredentialValues } from "./credentials.js";
import { bundle, type Script } from "./scripts.js";

export interface Step {
  readonly script: Script;
  /** Plain parameters. */
  readonly env: Readonly<Record<string, string>>;
  /** Secret parameters: environment variable → the name of the secret it carries. */
  readonly secrets?: Readonly<Record<string, string>>;
}

/** The full environment of a step, secrets resolved. */
export function stepEnvironment(step: Step, credentials?: CredentialValues): Record<string, string> {
  const env: Record<string, string> = { ...step.env };
  for (const [name, secret] of Object.entries(step.secrets ?? {})) {
    const value = credentials?.[secret];
    if (value === undefined) throw new Error(`step ${step.script.path} needs credential ${secret}`);
    env[name] = value;
  }
  return env;
}

export function hasSecrets(step: Step): boolean {
  return Object.keys(step.secrets ?? {}).length > 0;
}

/** What a node runs for a step (`up`) or to see whether what it made still holds (`status`): the
 * step's bundle through sudo on stdin. No secret appears on a command line or in the SSH
 * environment (which sshd would refuse anyway). */
export const nodeCommand = (action: "up" | "status") => `sudo bash -s ${action}`;

export function nodeStdin(step: Step, credentials?: CredentialValues): string {
  return bundle(step.script, stepEnvironment(step, credentials));
}

/** What a remote lab host runs for a host script: the bundle through `sudo -n` unless the user is root. */
export function hostCommand(action: "up" | "down" | "status", user: string): string {
  return `${user === "root" ? "" : "sudo -n "}bash -s ${action}`;
}
