// Resource-graph recording under pulumi.runtime.setMocks. Mocks are for the graph only: nothing
// here pretends a lab works (the VM tests do that for real).

import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_SIZES } from "./fakeDigitalOcean.js";

export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: any;
  readonly id: string;
}

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly opts: pulumi.ResourceOptions;
  readonly resource: pulumi.Resource | undefined;
}

export const recorded: Recorded[] = [];
export const registrations: Registration[] = [];
/** Invokes (data sources), with how many resources were recorded before each. */
export const invoked: { readonly token: string; readonly inputs: any; readonly after: number }[] = [];

/** The provider's getSizes invoke, answered from the served API's sizes (test/helpers/fakeDigitalOcean.ts). */
export const GET_SIZES = "digitalocean:index/getSizes:getSizes";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Unwraps the SDK's secret envelopes (mocks see them as plain objects). */
export function unwrap(value: any): any {
  if (value && typeof value === "object") {
    if (SECRET_SIG in value) return unwrap(value.value);
    if (Array.isArray(value)) return value.map(unwrap);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

export function isSecretEnvelope(value: any): boolean {
  return Boolean(value && typeof value === "object" && value[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270");
}

/** Every place a recorded resource's inputs hold one of `secrets` outside a secret envelope. */
export function secretLeaks(secrets: readonly string[]): string[] {
  const leaks: string[] = [];
  const walk = (value: any, where: string) => {
    if (isSecretEnvelope(value)) return;
    if (typeof value === "string") {
      for (const s of secrets) if (value.includes(s)) leaks.push(`${where} contains ${s}`);
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`);
    }
  };
  for (const r of recorded) walk(r.inputs, r.name);
  return leaks;
}

/** Fake credentials as the generator of plan/secrets.ts prints them for LEGACY_LAB_SECRETS. */
export const FAKE_CREDENTIALS = JSON.stringify({
  mariadbRootPassword: "mariadbSecret1",
  rabbitmqPassword: "rabbitSecret2",
  osAdminPassword: "adminSecret3",
  osDemoPassword: "demoSecret4",
  osSharedSecret: "sharedSecret5sharedSecret5shared",
  sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nprivateKeySecret6\n-----END OPENSSH PRIVATE KEY-----\n",
  sshPublicKey: "ssh-ed25519 AAAAfake labstack",
});

/** A fake droplet host key pair as the generator prints it for HOST_KEY_SECRETS. */
export const FAKE_HOST_KEY = JSON.stringify({
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nhostPrivateKeySecret8\n-----END OPENSSH PRIVATE KEY-----\n",
  publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyFake labstack host",
});

const KNOWN_VALUES: Record<string, string> = { ...JSON.parse(FAKE_CREDENTIALS), ...JSON.parse(FAKE_HOST_KEY) };

/** The value the fake generator gives a secret no table above names (a kind's own secret). */
export const fakeSecret = (name: string) => `${name}FakeSecret9`;

/**
 * What the generator program `program` (plan/secrets.ts generatorProgram) would print, with fake
 * values: the keys come from the program's own SPECS line, so a kind's extra secrets get values
 * under the names it asked for, as the real generator would give them.
 */
export function fakeGeneratorOutput(program: string): string {
  const specs = JSON.parse(/^const SPECS = (.*);$/m.exec(program)?.[1] ?? "null") as
    | ({ kind: "password"; name: string } | { kind: "ssh-key"; names: [string, string]; comment: string })[]
    | null;
  if (specs === null) throw new Error(`not a generator program: ${program.slice(0, 80)}`);
  const out: Record<string, string> = {};
  for (const spec of specs) {
    if (spec.kind === "password") out[spec.name] = KNOWN_VALUES[spec.name] ?? fakeSecret(spec.name);
    else {
      const [priv, pub] = spec.names;
      out[priv] = KNOWN_VALUES[priv] ?? `-----BEGIN OPENSSH PRIVATE KEY-----\n${fakeSecret(priv)}\n-----END OPENSSH PRIVATE KEY-----\n`;
      out[pub] = KNOWN_VALUES[pub] ?? `ssh-ed25519 AAAAfake${pub} ${spec.comment}`;
    }
  }
  return `${JSON.stringify(out)}\n`;
}

/** What minikube/minikube-access.sh prints, with a token standing in for the kubeconfig's secrets. */
export const FAKE_MINIKUBE_ACCESS = JSON.stringify({ ip: "192.168.59.100", kubeconfig: "apiVersion: v1\nusers:\n- user:\n    token: kubeTokenSecret7\n" });

/** The address the mocked droplet gets (TEST-NET-3: never routed). */
export const DROPLET_ADDRESS = "203.0.113.10";

/** The Health resource type (components/lab/Health.ts), served by the project's provider plugin. */
export const HEALTH = "labstack:lab:Health";

/** How many repairs a Health reads as having had: 0 (a fresh lab) unless a test says otherwise. */
let repairsOf: (name: string) => number = () => 0;

/** Makes Health resources report `repairs(name)` as their generation (what a refresh that found
 * drift, then an `up`, leaves). Until reset(). */
export function setRepairs(repairs: (name: string) => number): void {
  repairsOf = repairs;
}

export async function installMocks(stack = "dev"): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // The id follows the inputs, as a rebuilt command gets a new id: dependents whose
        // inputs hold it then change too, like in a real replacement.
        const id = `${args.name}-${createHash("sha256")
          .update(JSON.stringify(unwrap(args.inputs)))
          .digest("hex")
          .slice(0, 8)}`;
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, id });
        const state = { ...args.inputs };
        const create = unwrap(args.inputs.create);
        if (args.type === HEALTH) Object.assign(state, { state: "ok", generation: repairsOf(args.name) });
        else if (args.type === "command:local:Command" && typeof create === "string" && create.startsWith("const SPECS = "))
          state.stdout = fakeGeneratorOutput(create);
        else if (args.type === "digitalocean:index/droplet:Droplet") state.ipv4Address = DROPLET_ADDRESS;
        else if (args.type.startsWith("command:") && args.name.endsWith("-access-run")) state.stdout = FAKE_MINIKUBE_ACCESS;
        else if (args.type === "kubernetes:core/v1:Service")
          state.spec = { ...args.inputs.spec, ports: args.inputs.spec.ports.map((p: object) => ({ ...p, nodePort: 30080 })) };
        else if (args.type === "digitalocean:index/sshKey:SshKey") state.fingerprint = "fp:lab-key";
        else if (args.type.startsWith("command:")) state.stdout = args.name.endsWith("-image-run") ? "/cache/base.qcow2" : `${args.name} done`;
        return { id, state };
      },
      call(args) {
        invoked.push({ token: args.token, inputs: args.inputs, after: recorded.length });
        if (args.token === GET_SIZES) return { sizes: DEFAULT_SIZES.map((s) => ({ ...s, regions: [...s.regions], available: true })) };
        return args.inputs;
      },
    },
    "labstack",
    stack,
  );
}

/** Root options that record every child's registration options (dependsOn, parent,
 * replacementTrigger, ...). The SDK runs these transformations itself, so they work under mocks,
 * unlike engine-side transforms. */
export const recordingOptions: pulumi.ComponentResourceOptions = {
  transformations: [
    (args) => {
      registrations.push({ type: args.type, name: args.name, opts: args.opts, resource: args.resource });
      return undefined;
    },
  ],
};

export function reset(): void {
  recorded.length = 0;
  registrations.length = 0;
  invoked.length = 0;
  repairsOf = () => 0;
}

/** Resolves an Output under mocks (never use this in a real preview: unknowns never resolve). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Lets pending registrations finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Every registered resource's identity (its replacementTrigger, resolved; undefined: none), by name. */
export async function identities(): Promise<Map<string, string | undefined>> {
  const resolved = await Promise.all(
    registrations.map(async (r) => {
      const trigger = (r.opts as pulumi.CustomResourceOptions).replacementTrigger;
      if (trigger === undefined) return [r.name, undefined] as const;
      return [r.name, JSON.stringify(unwrap(await promiseOf(pulumi.output(trigger))))] as const;
    }),
  );
  return new Map(resolved);
}

/** What a bundle (plan/scripts.ts) carries: the script it runs, its parameters, and its files. */
export interface Bundle {
  readonly script: string;
  readonly params: Record<string, string>;
  readonly files: Record<string, string>;
}

const unquote = (quoted: string) => quoted.replaceAll("'\\''", "'");

/** Reads a bundle's text back: which script it runs with which parameters, and the files it writes. */
export function readBundle(text: string): Bundle {
  const script = /^ {4}bash "\$dir\/([^"]+)" "\$@" 3< <\($/m.exec(text)?.[1];
  if (script === undefined) throw new Error(`not a bundle: ${text.slice(0, 120)}`);
  const start = text.indexOf('      LANG=C.UTF-8 LABSTACK_DIR="$dir" ');
  const end = text.indexOf("      labstack_environment LANG", start);
  const params: Record<string, string> = {};
  for (const m of text.slice(text.indexOf("\n", start) + 1, end).matchAll(/^ {4}([A-Za-z_][A-Za-z0-9_]*)='((?:[^']|'\\'')*)' \\$/gm))
    params[m[1]] = unquote(m[2]);
  const files: Record<string, string> = {};
  for (const m of text.matchAll(/^ {2}printf '%s' '((?:[^']|'\\'')*)' > "\$dir\/([^"]+)"$/gm)) files[m[2]] = unquote(m[1]);
  return { script, params, files };
}
