// A fresh Ubuntu droplet's cloud-init: the packages the lab needs, installed before the readiness
// gate opens, and the host key the lab made, so SSH to it is verified from the first connection.

/** An SSH host key pair the lab makes for a host it creates. */
export interface HostKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

export function dropletUserData(packages: readonly string[], hostKey: HostKeyPair): string {
  // JSON is YAML too, and needs no indentation rules for the multi-line key.
  const keys = { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey.trim() };
  return [
    "#cloud-config",
    "package_update: true",
    "packages:",
    ...packages.map((p) => `  - ${p}`),
    "ssh_deletekeys: true",
    `ssh_keys: ${JSON.stringify(keys)}`,
    "",
  ].join("\n");
}
