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
});
