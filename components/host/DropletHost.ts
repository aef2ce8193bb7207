// A DigitalOcean droplet made for the lab, as its lab host: the lab's SSH key, the droplet's size
// checked against the API's sizes (memory and vCPUs for the lab, offered in the region) before
// the droplet exists, the droplet (cloud-init installs the hypervisor and apt-cacher-ng), a
// firewall admitting SSH only from the configured networks, and a readiness gate (SSH up,
// cloud-init done). Every host script of the lab waits for the gate and is deleted with the
// droplet rather than run against it.

import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { formatPath } from "../../model/parse.js";
import type { DropletHostSchema } from "../../model/schema.js";
import { checkDropletSize, type DropletNeeds, type DropletSize, dropletUserData, type HostKeyPair } from "../../plan/droplet.js";
import { HOST_KEY_SECRETS } from "../../plan/secrets.js";
import { generateSecrets } from "../lab/Credentials.js";
import { SshHost } from "./SshHost.js";

export interface DropletHostArgs {
  readonly labName: string;
  readonly host: z.infer<typeof DropletHostSchema>;
  /** What cloud-init installs on the droplet for the lab (its hypervisor, the APT cache). */
  readonly packages: readonly string[];
  /** What the lab's VMs need of the droplet: its size must have it. */
  readonly needs: DropletNeeds;
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
  /** The droplet's size as the API lists it, checked against the lab. */
  readonly size: pulumi.Output<DropletSize>;
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
    // The size as the API has it, not as its slug reads: the droplet's size input is the checked
    // size, so the droplet is not created (nor billed) before the check passed, and a preview
    // refuses the same.
    this.size = digitalocean.getSizesOutput({}, { parent: this }).sizes.apply((listed) => {
      const sizes = listed.map((s): DropletSize => ({ ...s, regions: [...s.regions] }));
      const issues = checkDropletSize(host, sizes, args.needs);
      if (issues.length > 0) {
        const lines = issues.map((i) => `  - ${formatPath(i.path)}: ${i.message}`);
        // Attached to this component, without a stack trace: the learner's fix is in the config.
        throw new pulumi.ResourceError(
          `the droplet is not created: its size fails the check against the sizes the DigitalOcean API lists:\n${lines.join("\n")}`,
          this,
          true,
        );
      }
      return sizes.find((s) => s.slug === host.size)!;
    });
    const droplet = new digitalocean.Droplet(
      `${name}-droplet`,
      {
        name: tag,
        region: host.region,
        size: this.size.slug,
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
    this.registerOutputs({ ipv4Address: this.ipv4Address, size: this.size });
  }
}
