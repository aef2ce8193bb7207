// Resource-graph recording under pulumi.runtime.setMocks. Mocks are for the graph only: nothing
// here pretends a lab works (the VM tests do that for real).
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

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

/** Unwraps the SDK's secret envelopes (mocks see them as plain objects). */
export function unwrap(value: any): any {
  if (value && typeof value === "object") {
    if ("4dabf18193072939515e22adb298388d" in value) return unwrap(value.value);
    if (Array.isArray(value)) return value.map(unwrap);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

export function isSecretEnvelope(value: any): boolean {
  return Boolean(value && typeof value === "object" && value["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270");
}

/** A fake credentials JSON like provisioning/host/generate-credentials.sh prints. */
export const FAKE_CREDENTIALS = JSON.stringify({
  mariadbRootPassword: "mariadbSecret1",
  rabbitmqPassword: "rabbitSecret2",
  osAdminPassword: "adminSecret3",
  osDemoPassword: "demoSecret4",
  osSharedSecret: "sharedSecret5sharedSecret5shared",
  sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nprivateKeySecret6\n-----END OPENSSH PRIVATE KEY-----\n",
  sshPublicKey: "ssh-ed25519 AAAAfake labstack",
});

/** The address the mocked droplet gets (TEST-NET-3: never routed). */
export const DROPLET_ADDRESS = "203.0.113.10";

export async function installMocks(stack = "dev"): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // The id follows the inputs, as a rebuilt command gets a new id: dependents whose
        // triggers hold it then change too, like in a real replacement.
        const id = `${args.name}-${createHash("sha256").update(JSON.stringify(unwrap(args.inputs))).digest("hex").slice(0, 8)}`;
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, id });
        const state = { ...args.inputs };
        if (args.type === "command:local:Command" && args.name.endsWith("-generate")) state.stdout = FAKE_CREDENTIALS;
        else if (args.type === "digitalocean:index/droplet:Droplet") state.ipv4Address = DROPLET_ADDRESS;
        else if (args.type === "digitalocean:index/sshKey:SshKey") state.fingerprint = "fp:lab-key";
        else if (args.type.startsWith("command:")) state.stdout = args.name.endsWith("-image-run") ? "/cache/base.qcow2" : `${args.name} done`;
        return { id, state };
      },
      call: (args) => args.inputs,
    },
    "labstack",
    stack,
  );
}

/** Root options that record every child's registration options (dependsOn, parent, ...). The
 * SDK runs these transformations itself, so they work under mocks, unlike engine-side transforms. */
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
}

/** Resolves an Output under mocks (never use this in a real preview: unknowns never resolve). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Lets pending registrations finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
