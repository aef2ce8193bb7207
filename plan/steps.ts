// A step is one provisioning script plus its parameters. Components turn steps into command
// resources; the VM tests run the very same steps over SSH. Scripts stay plain files: parameters
// travel as environment variables, never as edits to the script text.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's provisioning/ folder. */
export const PROVISIONING_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "provisioning");

/** Every secret a lab generates; see provisioning/host/generate-credentials.sh. */
export interface CredentialValues {
  readonly mariadbRootPassword: string;
  readonly rabbitmqPassword: string;
  readonly osAdminPassword: string;
  readonly osDemoPassword: string;
  readonly osSharedSecret: string;
  readonly sshPrivateKey: string;
  readonly sshPublicKey: string;
}
export type SecretName = Exclude<keyof CredentialValues, "sshPublicKey">;

export interface Step {
  /** Script path under provisioning/, e.g. "node/mariadb.sh". */
  readonly script: string;
  /** Plain parameters. */
  readonly env: Readonly<Record<string, string>>;
  /** Secret parameters: environment variable → which credential it carries. */
  readonly secrets?: Readonly<Record<string, SecretName>>;
}

export function scriptPath(script: string): string {
  return join(PROVISIONING_DIR, script);
}

function readScript(script: string): string {
  return readFileSync(scriptPath(script), "utf8");
}

/** Single-quotes a value for bash. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A field of a record: absent when undefined, a list joined with commas. */
export type RecordValue = string | number | readonly string[] | undefined;

/**
 * The one encoding of a list of things for the scripts: a variable holds one thing a line, each
 * line `key=value` fields (no spaces in values; a list's items joined with commas; an optional
 * field left out, never a placeholder). The scripts read a line with lib.sh's `record`.
 */
export function records(items: readonly Readonly<Record<string, RecordValue>>[]): string {
  const field = ([key, value]: [string, RecordValue]) => (value === undefined ? [] : [`${key}=${Array.isArray(value) ? value.join(",") : value}`]);
  return items.map((item) => Object.entries(item).flatMap(field).join(" ")).join("\n");
}

/** The full environment of a step, secrets resolved. */
export function stepEnvironment(step: Step, credentials?: CredentialValues): Record<string, string> {
  const env: Record<string, string> = { ...step.env };
  for (const [name, secret] of Object.entries(step.secrets ?? {})) {
    if (credentials === undefined) throw new Error(`step ${step.script} needs credential ${secret}`);
    env[name] = credentials[secret];
  }
  return env;
}

/**
 * What a node runs for a step: `sudo bash -s` reading the shared helpers, the parameters as
 * exports and the script itself from stdin. Nothing is copied to the node, and no secret appears
 * on a command line or in the SSH environment (which sshd would refuse anyway).
 */
export const NODE_COMMAND = "sudo bash -s";

export function nodeStdin(step: Step, credentials?: CredentialValues): string {
  const exports = Object.entries(stepEnvironment(step, credentials))
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join("\n");
  const lib = step.script.startsWith("checks/") ? ["node/lib.sh", "checks/lib.sh"] : ["node/lib.sh"];
  // bash reads a script from stdin as it goes, so any command that reads stdin (rabbitmqctl
  // does) would swallow the rest of the script and bash would exit 0 half-way. Wrapped in a
  // function, the whole text is parsed before anything runs, and it runs with stdin closed.
  return ["labstack_step() {", ...lib.map(readScript), exports, readScript(step.script), "}", "labstack_step </dev/null", ""].join("\n");
}

export function hasSecrets(step: Step): boolean {
  return Object.keys(step.secrets ?? {}).length > 0;
}

/**
 * What a remote lab host runs for a host script: `bash -s up|down` (through `sudo -n` unless the
 * user is root), with this program on stdin. It writes the script and the sibling scripts it
 * names (lib.sh, accel.sh) into a temporary folder, exports the parameters and runs it there, so
 * the host needs no copy of the repository and no parameter travels on a command line.
 */
export function hostStdin(script: string, env: Readonly<Record<string, string>>): string {
  const folder = dirname(script);
  const scripts = readdirSync(join(PROVISIONING_DIR, folder)).filter((f) => f.endsWith(".sh"));
  // The siblings a script names, and the ones those name (image.sh → image-build.sh → its hook).
  const files = [script];
  for (let i = 0; i < files.length; i++) {
    const text = readScript(files[i]);
    for (const f of scripts) if (text.includes(f) && !files.includes(`${folder}/${f}`)) files.push(`${folder}/${f}`);
  }
  files.splice(1, files.length - 1, ...files.slice(1).sort());
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [
    "labstack_host() {",
    "  local dir",
    "  dir=$(mktemp -d)",
    `  trap 'rm -rf "$dir"' RETURN`,
    `  mkdir -p "$dir/${folder}"`,
    ...files.map((f) => `  printf '%s' ${shellQuote(readScript(f))} > "$dir/${f}"`),
    `  chmod +x "$dir/${folder}"/*.sh`,
    ...exports.map((e) => `  ${e}`),
    `  bash "$dir/${script}" "$1"`,
    "}",
    'labstack_host "$1" </dev/null',
    "",
  ].join("\n");
}

/** The command line for a host script on a remote host; the program comes on stdin. */
export function hostCommand(action: "up" | "down", user: string): string {
  return `${user === "root" ? "" : "sudo -n "}bash -s ${action}`;
}
