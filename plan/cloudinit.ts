// The NoCloud seed for a node: hostname, the lab user with the lab's SSH key, static addresses.
// Pure text rendering; both hypervisor drivers put these three documents on a seed disk.
import { createHash } from "node:crypto";
import type { NicPlan, SeedDocuments } from "./types.js";

export interface SeedArgs {
  readonly hostname: string;
  readonly user: string;
  readonly sshPublicKey: string;
  readonly nics: readonly NicPlan[];
}

// JSON is valid YAML and needs no quoting rules of our own.
const yaml = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function renderSeed(args: SeedArgs): SeedDocuments {
  const userData =
    "#cloud-config\n" +
    yaml({
      hostname: args.hostname,
      // Node setup writes /etc/hosts itself, without the 127.0.1.1 alias that breaks services
      // bound to the management address.
      manage_etc_hosts: false,
      ssh_pwauth: false,
      // One host key: cloud-init's default RSA and ECDSA keys took 8 s of a boot under TCG, on
      // the way to SSH; every client we and the learner use speaks Ed25519.
      ssh_genkeytypes: ["ed25519"],
      disable_root: true,
      users: [
        {
          name: args.user,
          groups: ["sudo"],
          sudo: "ALL=(ALL) NOPASSWD:ALL",
          shell: "/bin/bash",
          lock_passwd: true,
          ssh_authorized_keys: [args.sshPublicKey.trim()],
        },
      ],
    });
  const ethernets: Record<string, unknown> = {};
  for (const nic of args.nics) {
    ethernets[nic.device] =
      nic.kind === "nat"
        ? { match: { macaddress: nic.mac }, dhcp4: true }
        : nic.ip !== undefined
          ? { match: { macaddress: nic.mac }, dhcp4: false, addresses: [`${nic.ip}/${nic.prefix}`] }
          : { match: { macaddress: nic.mac }, dhcp4: false };
  }
  const networkConfig = yaml({ version: 2, ethernets });
  // A new instance-id whenever the seed changes makes cloud-init apply it again.
  const instanceId = createHash("sha256")
    .update(userData + networkConfig)
    .digest("hex")
    .slice(0, 12);
  // dsmode local: everything the seed asks for (users, keys, hostname, addresses) needs no network,
  // so cloud-init applies it all in its first stage; its network stage finds the work done and
  // stops, and a built image does not start it at all (image-customize.sh).
  const metaData = yaml({ "instance-id": `${args.hostname}-${instanceId}`, "local-hostname": args.hostname, dsmode: "local" });
  return { userData, metaData, networkConfig };
}
