// Every password the lab needs, its SSH key pair and each node's host key pair: generated once
// where Pulumi runs, by Node alone (plan/secrets.ts), kept only as Pulumi secrets, stable across
// `up`s and checkouts, rotated by bumping `credentialsRotation`. Generated before the lab host
// exists, since a droplet host is made with the lab's public key. The secrets every lab has are
// one resource; each secret a lab kind adds, and each node's host key, is a resource of its own,
// so a lab that gains one (a kind's new secret, a new node, a lab made before host keys were
// pinned) adds it to a running lab and keeps the rest.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { type CredentialValues, SSH_PRIVATE_KEY, SSH_PUBLIC_KEY } from "../../plan/credentials.js";
import { type NodeHostKey, nodeHostKeySecrets } from "../../plan/hostKeys.js";
import { generatorProgram, LEGACY_LAB_SECRETS, type SecretSpec } from "../../plan/secrets.js";

export interface CredentialsArgs {
  /** Bump to regenerate everything. @default 0 */
  readonly rotation?: number;
  /** Secrets the lab kind needs beyond those every lab has. @default none */
  readonly secrets?: readonly SecretSpec[];
  /** The nodes that get a host key pair of the lab's making (plan/hostKeys.ts). @default none */
  readonly nodes?: readonly string[];
}

export class Credentials extends pulumi.ComponentResource {
  /** The passwords and the lab's key pair (the `credentials` output, credentials.yaml): not the host keys. */
  readonly values: pulumi.Output<CredentialValues>;
  readonly sshPublicKey: pulumi.Output<string>;
  readonly sshPrivateKey: pulumi.Output<string>;
  /** Each node's host key pair (a secret), by node name. */
  readonly hostKeys: ReadonlyMap<string, pulumi.Output<NodeHostKey>>;
  /** Each node's public host key, an authorized_keys line (not secret: every client sees it), by node name. */
  readonly hostPublicKeys: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:lab:Credentials", name, {}, opts);
    const rotation = args.rotation ?? 0;
    const groups = [
      generateSecrets<CredentialValues>(`${name}-generate`, LEGACY_LAB_SECRETS, rotation, this),
      ...(args.secrets ?? []).map((spec) => generateSecrets<CredentialValues>(`${name}-generate-${spec.name}`, [spec], rotation, this)),
    ];
    this.values = pulumi.secret(pulumi.all(groups).apply((all) => Object.assign({}, ...all) as CredentialValues));
    // The public key is not secret: it goes into every node's cloud-init seed in plain sight.
    this.sshPublicKey = pulumi.unsecret(this.values.apply((v) => v[SSH_PUBLIC_KEY]));
    this.sshPrivateKey = pulumi.secret(this.values.apply((v) => v[SSH_PRIVATE_KEY]));
    this.hostKeys = new Map(
      (args.nodes ?? []).map((node) => [node, generateSecrets<NodeHostKey>(`${name}-host-key-${node}`, nodeHostKeySecrets(node), rotation, this)]),
    );
    this.hostPublicKeys = pulumi.unsecret(
      pulumi.all(Object.fromEntries([...this.hostKeys].map(([node, key]) => [node, key.apply((k) => k.hostKeyPublicKey.trim())]))),
    );
    this.registerOutputs({ values: this.values });
  }
}

/**
 * Generates `specs` once where Pulumi runs (node, no shell: a laptop on macOS or Windows needs
 * nothing else), and again only when `rotation` changes; the JSON output exists only as a secret,
 * never logged. Labs made when a bash script generated them keep what it made: the program text
 * is not compared (ignoreChanges), only the rotation, so a new generator never runs on its own.
 */
export function generateSecrets<T>(name: string, specs: readonly SecretSpec[], rotation: number, parent: pulumi.Resource): pulumi.Output<T> {
  const generate = new command.local.Command(
    name,
    { create: generatorProgram(specs), interpreter: ["node", "-e"], triggers: [rotation], logging: "none" },
    { parent, additionalSecretOutputs: ["stdout", "stderr"], ignoreChanges: ["create", "interpreter"] },
  );
  return pulumi.secret(generate.stdout).apply((s) => JSON.parse(s) as T);
}
