// Every password the lab needs and its SSH key pair: generated once where Pulumi runs, by Node
// alone (plan/secrets.ts), kept only as Pulumi secrets, stable across `up`s and checkouts, rotated
// by bumping `credentialsRotation`. Generated before the lab host exists, since a droplet host is
// made with the lab's public key. The secrets every lab has are one resource; each secret a lab
// kind adds is a resource of its own, so a kind that gains one adds it to a running lab and keeps
// the rest.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { type CredentialValues, SSH_PRIVATE_KEY, SSH_PUBLIC_KEY } from "../../plan/credentials.js";
import { generatorProgram, LEGACY_LAB_SECRETS, type SecretSpec } from "../../plan/secrets.js";

export interface CredentialsArgs {
  /** Bump to regenerate everything. @default 0 */
  readonly rotation?: number;
  /** Secrets the lab kind needs beyond those every lab has. @default none */
  readonly secrets?: readonly SecretSpec[];
}

export class Credentials extends pulumi.ComponentResource {
  readonly values: pulumi.Output<CredentialValues>;
  readonly sshPublicKey: pulumi.Output<string>;
  readonly sshPrivateKey: pulumi.Output<string>;

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
