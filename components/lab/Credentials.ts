// Every password the lab needs and its SSH key pair: generated once where Pulumi runs, kept only
// as Pulumi secrets, stable across `up`s, rotated by bumping `credentialsRotation`. Generated
// before the lab host exists, since a droplet host is made with the lab's public key.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { scriptPath, shellQuote, type CredentialValues } from "../plan/steps.js";

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
    const generate = new command.local.Command(
      `${name}-generate`,
      {
        create: `bash ${shellQuote(scriptPath("host/generate-credentials.sh"))}`,
        triggers: [args.rotation ?? 0],
        logging: "none",
      },
      { parent: this, additionalSecretOutputs: ["stdout", "stderr"] },
    );
    this.values = pulumi.secret(generate.stdout).apply((s) => JSON.parse(s) as CredentialValues);
    // The public key is not secret: it goes into every node's cloud-init seed in plain sight.
    this.sshPublicKey = pulumi.unsecret(this.values.apply((v) => v.sshPublicKey));
    this.sshPrivateKey = pulumi.secret(this.values.apply((v) => v.sshPrivateKey));
    this.registerOutputs({ values: this.values });
  }
}
