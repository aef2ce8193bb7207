// Every password the lab needs and its SSH key pair: generated once where Pulumi runs, kept only
// as Pulumi secrets, stable across `up`s, rotated by bumping `credentialsRotation`. Generated
// before the lab host exists, since a droplet host is made with the lab's public key.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { type CredentialValues, scriptPath, shellQuote } from "../../plan/steps.js";

export interface CredentialsArgs {
  /** Bump to regenerate everything. @default 0 */
  readonly rotation?: number;
}

export class Credentials extends pulumi.ComponentResource {
  readonly values: pulumi.Output<CredentialValues>;
  readonly sshPublicKey: pulumi.Output<string>;
  readonly sshPrivateKey: pulumi.Output<string>;

  constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:lab:Credentials", name, {}, opts);
    this.values = generateSecrets<CredentialValues>(`${name}-generate`, [], args.rotation ?? 0, this);
    // The public key is not secret: it goes into every node's cloud-init seed in plain sight.
    this.sshPublicKey = pulumi.unsecret(this.values.apply((v) => v.sshPublicKey));
    this.sshPrivateKey = pulumi.secret(this.values.apply((v) => v.sshPrivateKey));
    this.registerOutputs({ values: this.values });
  }
}

/**
 * Runs host/generate-credentials.sh (with `args`) once where Pulumi runs, and again only when
 * `rotation` changes; its JSON output exists only as a secret, never logged.
 */
export function generateSecrets<T>(name: string, args: string[], rotation: number, parent: pulumi.Resource): pulumi.Output<T> {
  const generate = new command.local.Command(
    name,
    {
      // The same text as before host keys existed: a changed `create` would run it again and
      // replace every credential of an existing lab.
      create: `bash ${[scriptPath("host/generate-credentials.sh"), ...args].map(shellQuote).join(" ")}`,
      triggers: [rotation],
      logging: "none",
    },
    { parent, additionalSecretOutputs: ["stdout", "stderr"] },
  );
  return pulumi.secret(generate.stdout).apply((s) => JSON.parse(s) as T);
}
