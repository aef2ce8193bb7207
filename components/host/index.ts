// The one place that maps a lab host kind to its connection: the local machine, an existing
// host over SSH, or a droplet made with the lab.

import * as pulumi from "@pulumi/pulumi";
import type { HostConfig } from "../../model/schema.js";
import type { DropletNeeds } from "../../plan/droplet.js";
import type { JumpHost } from "../../plan/outputs.js";
import type { LabHostConnection } from "./connection.js";
import { DropletHost } from "./DropletHost.js";
import { LocalHost } from "./LocalHost.js";
import { SshHost } from "./SshHost.js";

export interface LabHostArgs {
  readonly host: HostConfig;
  readonly labName: string;
  /** The lab's state folder on the host (LabPlan.stateDir). */
  readonly stateDir: string;
  /** What a droplet gets installed by cloud-init for the lab. */
  readonly dropletPackages: readonly string[];
  /** What the lab's VMs need of a droplet (its size is checked against the API's sizes). */
  readonly dropletNeeds: DropletNeeds;
  /** Bump to make a droplet's host key again. */
  readonly rotation: number;
  /** The lab's generated key pair (a droplet admits it for root). */
  readonly sshPublicKey: pulumi.Input<string>;
  readonly sshPrivateKey: pulumi.Input<string>;
  /** Private key for an `ssh` host (the secret config `labstack:hostPrivateKey`). */
  readonly hostPrivateKey?: pulumi.Input<string>;
}

export interface LabHost {
  readonly connection: LabHostConnection;
  /** Remote hosts only: how the laptop reaches the host, and nodes through it. */
  readonly jump?: pulumi.Output<JumpHost>;
}

/** Where the learner keeps the lab's private key on their laptop when the lab host is remote. */
export const remoteIdentityFile = (labName: string) => `~/.ssh/labstack-${labName}`;

/** Where the learner keeps the nodes' known_hosts (the `known_hosts` output) when the lab host is remote. */
export const remoteKnownHostsFile = (labName: string) => `~/.ssh/labstack-${labName}.known_hosts`;

export function labHost(name: string, parent: pulumi.Resource, args: LabHostArgs): LabHost {
  const { host, labName, stateDir } = args;
  switch (host.kind) {
    case "local":
      return { connection: new LocalHost(stateDir) };
    case "ssh": {
      if (args.hostPrivateKey === undefined) throw new Error("labstack:hostPrivateKey is required for an ssh lab host");
      if (host.hostKey === undefined)
        pulumi.log.warn(
          `labstack:lab.host.hostKey is not set: the first connection to ${host.address} trusts whatever answers there (ssh-keyscan -t ed25519 ${host.address})`,
        );
      const connection = new SshHost({
        address: host.address,
        port: host.port,
        user: host.user,
        privateKey: args.hostPrivateKey,
        hostKey: host.hostKey,
        stateDir,
      });
      return { connection, jump: pulumi.output({ address: host.address, port: host.port, user: host.user }) };
    }
    case "digitalocean": {
      const droplet = new DropletHost(
        name,
        {
          labName,
          host,
          packages: args.dropletPackages,
          needs: args.dropletNeeds,
          rotation: args.rotation,
          sshPublicKey: args.sshPublicKey,
          sshPrivateKey: args.sshPrivateKey,
          stateDir,
        },
        { parent },
      );
      return {
        connection: droplet.connection,
        jump: droplet.ipv4Address.apply((address) => ({ address, port: 22, user: "root", identityFile: remoteIdentityFile(labName) })),
      };
    }
  }
}
