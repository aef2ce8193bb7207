// The lab's credentials file on its host (host/credentials-file.sh): the seed's ~/.os_credentials,
// credentials.yaml with every generated password and the lab's SSH key pair.
import { provisioning, records } from "./scripts.js";

/** Every secret a lab generated, by name (plan/secrets.ts makes them). */
export type CredentialValues = Readonly<Record<string, string>>;

/** The lab's SSH key pair, which every lab has: nodes admit it, a droplet is made with it. */
export const SSH_PRIVATE_KEY = "sshPrivateKey";
export const SSH_PUBLIC_KEY = "sshPublicKey";

/** credentials.yaml names a secret as the seed's files do: mariadbRootPassword → MARIADB_ROOT_PASSWORD. */
export const fileName = (secret: string) => secret.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

export const CREDENTIALS_FILE_SCRIPT = provisioning("host/credentials-file.sh");

/** The step's parameters: they hold secrets, so the component keeps them secret. `lab` (the
 * stack's name) is written into credentials.yaml, so that a folder two stacks share knows whose
 * file is whose (the script refuses to overwrite, and never removes, another lab's). `knownHosts`
 * (plan/hostKeys.ts renderKnownHosts) is written beside the key as known_hosts. */
export function credentialsFileEnvironment(directory: string, values: CredentialValues, lab?: string, knownHosts?: string): Record<string, string> {
  const passwords = Object.entries(values)
    .filter(([name]) => name !== SSH_PRIVATE_KEY && name !== SSH_PUBLIC_KEY)
    .map(([name, value]) => ({ name: fileName(name), value }));
  return {
    CREDENTIALS_DIR: directory,
    PASSWORDS: records(passwords),
    SSH_PRIVATE_KEY: values[SSH_PRIVATE_KEY],
    SSH_PUBLIC_KEY: values[SSH_PUBLIC_KEY],
    ...(lab === undefined ? {} : { LAB: lab }),
    ...(knownHosts === undefined || knownHosts === "" ? {} : { KNOWN_HOSTS: knownHosts }),
  };
}
