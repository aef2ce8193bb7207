// Resource-graph recording under pulumi.runtime.setMocks. Mocks are for the graph only: nothing
// here pretends a lab works (the VM tests do that for real).

import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

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

/** A fake droplet host key pair like `generate-credentials.sh host-key` prints. */
export const FAKE_HOST_KEY = JSON.stringify({
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nhostPrivateKeySecret8\n-----END OPENSSH PRIVATE KEY-----\n",
  publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyFake labstack host",
});

/** What host/minikube-access.sh prints, with a token standing in for the kubeconfig's secrets. */
export const FAKE_MINIKUBE_ACCESS = JSON.stringify({ ip: "192.168.59.100", kubeconfig: "apiVersion: v1\nusers:\n- user:\n    token: kubeTokenSecret7\n" });

/** The address the mocked droplet gets (TEST-NET-3: never routed). */
export const DROPLET_ADDRESS = "203.0.113.10";

export async function installMocks(stack = "dev"): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // The id follows the inputs, as a rebuilt command gets a new id: dependents whose
        // triggers hold it then change too, like in a real replacement.
        const id = `${args.name}-${createHash("sha256")
          .update(JSON.stringify(unwrap(args.inputs)))
          .digest("hex")
          .slice(0, 8)}`;
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, id });
        const state = { ...args.inputs };
        if (args.type === "command:local:Command" && args.name.endsWith("-generate")) state.stdout = FAKE_CREDENTIALS;
        else if (args.type === "command:local:Command" && args.name.endsWith("-host-key")) state.stdout = FAKE_HOST_KEY;
        else if (args.type === "digitalocean:index/droplet:Droplet") state.ipv4Address = DROPLET_ADDRESS;
        else if (args.type === "command:local:Command" && args.name.endsWith("-access-run")) state.stdout = FAKE_MINIKUBE_ACCESS;
        else if (args.type === "kubernetes:core/v1:Service")
          state.spec = { ...args.inputs.spec, ports: args.inputs.spec.ports.map((p: object) => ({ ...p, nodePort: 30080 })) };
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
