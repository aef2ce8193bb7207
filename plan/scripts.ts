// How a provisioning script reaches the machine that runs it, the one way for every script: a
// bundle. A bundle is a bash program read on stdin (`bash -s ACTION`) that writes the script, the
// shared libraries (provisioning/lib/) and the companion scripts it calls into a folder of its own,
// and runs the script there with exactly the parameters the plan gives it, from an empty
// environment. Nothing is copied to the host beforehand, no parameter travels on a command line,
// and the bundle's text depends on the scripts' contents, never on where the checkout lies.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's provisioning/ folder. */
export const PROVISIONING_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "provisioning");

/** A provisioning script: its path under `root`, and the scripts it calls (they ship with it). */
export interface Script {
  /** The folder the paths are relative to; only read while planning, never part of a bundle. */
  readonly root: string;
  /** e.g. "qemu/vm.sh": where the script lies in the bundle's folder, as in provisioning/. */
  readonly path: string;
  /** Other scripts it runs or sources by path: relative to `root`, or a script of another root
   * (a plugged-in hypervisor's `vm.sh` that host/checkpoint.sh runs), shipped with its own. */
  readonly companions?: readonly (string | Script)[];
}

/** A script of provisioning/. */
export const provisioning = (path: string, companions: readonly (string | Script)[] = []): Script => ({ root: PROVISIONING_DIR, path, companions });

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

const LIBRARY = "lib";
/** The shared libraries every bundle carries: scripts source lib/common.sh, which sources the rest. */
const libraries = (): string[] =>
  readdirSync(join(PROVISIONING_DIR, LIBRARY))
    .filter((f) => f.endsWith(".sh"))
    .sort()
    .map((f) => `${LIBRARY}/${f}`);

/** What of the caller's environment a script may see besides its parameters: the search path, the
 * home it expands `~/` against, the locale, and the proxies of the machine it runs on (a lab on
 * the local host fetches through the proxy `pulumi up` was started with; a remote host's are its
 * own). Nothing else: `pulumi up`'s secrets and a user's stray variables stay out. */
const INHERITED = ["PATH", "HOME", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"];

/**
 * The bundle of `script` with its parameters. Read by `bash -s ACTION` (locally, over SSH on a lab
 * host, through `sudo bash -s` on a node); bash parses the whole function before running any of it,
 * and the call is a group that is complete only with its closing brace, so a cut connection runs
 * nothing (a cut call line alone would be a shorter command that runs), and the script runs with stdin closed, so a command reading
 * stdin (rabbitmqctl does) cannot swallow the rest.
 *
 * The script's environment is made by bash alone, never by `env -i NAME=value ... bash`: that is a
 * program, and its command line, with the parameters and the secrets among them (a password, a
 * proxy's URL with its credentials, the lab's private key), is anyone's to read in `ps` and in an
 * exec audit log. `exec -c` starts a bash with an empty environment; it reads the inherited names
 * and the parameters as `NAME=value` lines from a pipe, which the bundle's bash fills with builtins
 * alone (the parameters are assignments before a function that prints them), exports them and
 * becomes the script's bash. Every command line on the way names the script and its action only.
 */
export function bundle(script: Script, params: Readonly<Record<string, string>>): string {
  const shipped = new Map<string, string>();
  const ship = (s: Script): void => {
    for (const c of s.companions ?? []) ship(typeof c === "string" ? { root: s.root, path: c } : c);
    shipped.set(s.path, readFileSync(join(s.root, s.path), "utf8"));
  };
  for (const path of libraries()) shipped.set(path, readFileSync(join(PROVISIONING_DIR, path), "utf8"));
  ship(script);
  const files = [...shipped].sort(([a], [b]) => a.localeCompare(b)).map(([path, text]) => ({ path, text }));
  const folders = [...new Set(files.map((f) => dirname(f.path)))].sort();
  const names = Object.keys(params);
  for (const k of names) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`${script.path}: parameter '${k}' is not a variable name`);
  const parameters = Object.entries(params).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return [
    "labstack_bundle() {",
    "  local dir status=0",
    "  dir=$(mktemp -d) || return",
    ...folders.map((f) => `  mkdir -p "$dir/${f}"`),
    ...files.map((f) => `  printf '%s' ${shellQuote(f.text)} > "$dir/${f.path}"`),
    // Some are run directly (a hook, accel.sh), as from a checkout.
    '  chmod -R u+x "$dir"',
    "  (",
    `    exec -c bash -c 'set -a && . /dev/fd/3 && set +a && exec "$@" 3<&-' labstack-bundle \\`,
    `    bash "$dir/${script.path}" "$@" 3< <(`,
    // NAME=value lines of the variables named that are set, quoted for bash; builtins only.
    `      labstack_environment() { local labstack_name; for labstack_name in "$@"; do [[ -z "\${!labstack_name+set}" ]] || printf '%s=%q\\n' "$labstack_name" "\${!labstack_name}"; done; }`,
    `      labstack_environment ${INHERITED.join(" ")}`,
    // `~/` in a parameter is the home of the user the lab runs as on this host, also once a script
    // has re-run itself as root (LABSTACK_HOME survives sudo's --preserve-env).
    '      LANG=C.UTF-8 LABSTACK_DIR="$dir" LABSTACK_HOME="$HOME" \\',
    ...parameters.map((p) => `    ${p} \\`),
    `      labstack_environment LANG LABSTACK_DIR LABSTACK_HOME${names.map((n) => ` ${n}`).join("")}`,
    "    )",
    "  ) || status=$?",
    '  rm -rf "$dir"',
    "  return $status",
    "}",
    '{ labstack_bundle "$@" </dev/null; }',
    "",
  ].join("\n");
}
