// A DigitalOcean droplet made for the lab, as its lab host: the lab's SSH key, the droplet
// (cloud-init installs the hypervisor and apt-cacher-ng), a firewall admitting SSH only from the
// configured networks, and a readiness gate (SSH up, cloud-init done). Every host script of the
// lab waits for the gate and is deleted with the droplet rather than run against it.

import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { DropletHostSchema } from "../../model/schema.js";
import { dropletUserData, type HostKeyPair } from "../../plan/droplet.js";
import { HOST_KEY_SECRETS } from "../../plan/secrets.js";
import { generateSecrets } from "../lab/Credentials.js";
import { SshHost } from "./SshHost.js";

export interface DropletHostArgs {
  readonly labName: string;
  readonly host: z.infer<typeof DropletHostSchema>;
  /** What cloud-init installs on the droplet for the lab (its hypervisor, the APT cache). */
  readonly packages: readonly string[];
  /** Bump to make the droplet's host key again (with the lab's credentials). */
  readonly rotation: number;
  /** The lab's generated key pair: the droplet admits its public half for root. */
  readonly sshPublicKey: pulumi.Input<string>;
  readonly sshPrivateKey: pulumi.Input<string>;
  readonly stateDir: string;
}

/** Wait for SSH, then for cloud-init's packages; print its verdict. */
export const DROPLET_READY_COMMAND = "cloud-init status --wait >/dev/null 2>&1 || true; cloud-init status";

export class DropletHost extends pulumi.ComponentResource {
  readonly ipv4Address: pulumi.Output<string>;
  readonly connection: SshHost;

  constructor(name: string, args: DropletHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:host:DropletHost", name, {}, opts);
    const { host, labName } = args;
    const tag = `labstack-${labName}`;
    const key = new digitalocean.SshKey(`${name}-key`, { name: tag, publicKey: args.sshPublicKey }, { parent: this });
    // The droplet's host key is made here and handed to it by cloud-init: the first connection
    // to the droplet is already verified, never a trust-on-first-use.
    const hostKey = generateSecrets<HostKeyPair>(`${name}-host-key`, HOST_KEY_SECRETS, args.rotation, this);
    const hostPublicKey = pulumi.unsecret(hostKey.apply((k) => k.publicKey.trim()));
    const droplet = new digitalocean.Droplet(
      `${name}-droplet`,
      {
        name: tag,
        region: host.region,
        size: host.size,
        image: host.image,
        sshKeys: [key.fingerprint],
        tags: [tag],
        userData: pulumi.secret(hostKey.apply((k) => dropletUserData(args.packages, k))),
      },
      { parent: this },
    );
    const firewall = new digitalocean.Firewall(
      `${name}-firewall`,
      {
        name: tag,
        dropletIds: [droplet.id.apply(Number)],
        inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: host.sshSourceCidrs.map((c) => c.text) }],
        // The host fetches packages and images; nodes' traffic leaves through the host's NAT.
        outboundRules: [
          { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
          { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
          { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
        ],
      },
      { parent: this },
    );
    this.ipv4Address = droplet.ipv4Address;
    const connection = {
      host: droplet.ipv4Address,
      user: "root",
      privateKey: args.sshPrivateKey,
      hostKey: hostPublicKey,
      dialErrorLimit: 60,
      perDialTimeout: 10,
    };
    const ready = new command.remote.Command(
      `${name}-ready`,
      { connection, create: DROPLET_READY_COMMAND, triggers: [droplet.id], addPreviousOutputInEnv: false },
      { parent: this, dependsOn: [firewall], deletedWith: droplet, customTimeouts: { create: "20m" } },
    );
    this.connection = new SshHost({
      address: droplet.ipv4Address,
      privateKey: args.sshPrivateKey,
      hostKey: hostPublicKey,
      stateDir: args.stateDir,
      dependsOn: [ready],
      deletedWith: droplet,
    });
    this.registerOutputs({ ipv4Address: this.ipv4Address });
  }
}
