// plan/credentials.ts: the lab's credentials file on its host: every generated password under the
// seed's names, and the lab's SSH key pair.
import { describe, expect, it } from "vitest";
import { credentialsFileEnvironment, fileName, SSH_PRIVATE_KEY, SSH_PUBLIC_KEY } from "../../../plan/credentials.js";

describe("the credentials file", () => {
  it("names each secret as the seed's files do", () => {
    expect(fileName("mariadbRootPassword")).toBe("MARIADB_ROOT_PASSWORD");
    expect(fileName("osSharedSecret")).toBe("OS_SHARED_SECRET");
  });

  it("gets the passwords as records and the key pair apart, in the folder the plan names", () => {
    const env = credentialsFileEnvironment("~/.os_credentials", {
      mariadbRootPassword: "a b%c",
      rabbitmqPassword: "r",
      [SSH_PRIVATE_KEY]: "-----BEGIN-----\nkey\n",
      [SSH_PUBLIC_KEY]: "ssh-ed25519 AAAA lab",
    });
    expect(env).toEqual({
      CREDENTIALS_DIR: "~/.os_credentials",
      PASSWORDS: "name=MARIADB_ROOT_PASSWORD value=a%20b%25c\nname=RABBITMQ_PASSWORD value=r",
      SSH_PRIVATE_KEY: "-----BEGIN-----\nkey\n",
      SSH_PUBLIC_KEY: "ssh-ed25519 AAAA lab",
    });
  });

  it("carries the nodes' known_hosts when the lab has them, to be written beside the key", () => {
    const values = { [SSH_PRIVATE_KEY]: "k", [SSH_PUBLIC_KEY]: "p" };
    expect(credentialsFileEnvironment("~/c", values, "dev", "[127.0.0.1]:8222 ssh-ed25519 AAAA\n").KNOWN_HOSTS).toBe("[127.0.0.1]:8222 ssh-ed25519 AAAA\n");
    expect(credentialsFileEnvironment("~/c", values, "dev", "")).not.toHaveProperty("KNOWN_HOSTS");
    expect(credentialsFileEnvironment("~/c", values, "dev")).not.toHaveProperty("KNOWN_HOSTS");
  });
});
