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
 * The one encoding of a list of things for the scripts (provisioning/lib/records.sh reads it): a
 * variable holds one thing a line, each line `key=value` fields separated by spaces, a list's
 * items joined with commas, an optional field left out (never a placeholder). In a value, `%`,
 * backslash and whitespace are percent-encoded, so paths and messages keep their spaces.
 */
export function records<T extends { readonly [K in keyof T]: RecordValue }>(items: readonly T[]): string {
  const encode = (value: string | number) =>
    String(value).replace(/[%\\ \t\n\r\f\v]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
  const field = ([key, value]: [string, RecordValue]) =>
    value === undefined ? [] : [`${key}=${Array.isArray(value) ? value.map(encode).join(",") : encode(value as string | number)}`];
  return items.map((item) => (Object.entries(item) as [string, RecordValue][]).flatMap(field).join(" ")).join("\n");
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
  const lib = ["lib/records.sh", "node/lib.sh", ...(step.script.startsWith("checks/") ? ["checks/lib.sh"] : [])];
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
 * user is root), with this program on stdin. It writes the script, the sibling scripts it names
 * (accel.sh), the shared ones it sources from another folder (../lib/records.sh) and `include`
 * (scripts it sources by a parameter) into a temporary folder, exports the parameters and runs it
 * there, so the host needs no copy of the repository and no parameter travels on a command line.
 */
export function hostStdin(script: string, env: Readonly<Record<string, string>>, include: readonly string[] = []): string {
  const siblings = (folder: string) => readdirSync(join(PROVISIONING_DIR, folder)).filter((f) => f.endsWith(".sh"));
  // What a script names, and what those name (image.sh → image-build.sh → its hook).
  const files = [script, ...include];
  for (let i = 0; i < files.length; i++) {
    const text = readScript(files[i]);
    const folder = dirname(files[i]);
    const named = [
      ...siblings(folder)
        .filter((f) => text.includes(f))
        .map((f) => `${folder}/${f}`),
      ...[...text.matchAll(/\.\.\/([a-z0-9-]+\/[a-z0-9-]+\.sh)/g)].map((m) => m[1]),
    ];
    for (const f of named) if (!files.includes(f)) files.push(f);
  }
  files.splice(1, files.length - 1, ...files.slice(1).sort());
  const folders = [...new Set(files.map(dirname))];
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [
    "labstack_host() {",
    "  local dir",
    "  dir=$(mktemp -d)",
    `  trap 'rm -rf "$dir"' RETURN`,
    ...folders.map((f) => `  mkdir -p "$dir/${f}"`),
    ...files.map((f) => `  printf '%s' ${shellQuote(readScript(f))} > "$dir/${f}"`),
    ...folders.map((f) => `  chmod +x "$dir/${f}"/*.sh`),
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
