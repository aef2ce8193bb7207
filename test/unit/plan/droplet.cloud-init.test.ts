// A droplet's user data against cloud-init itself (its schema, offline), and what the test's lab
// host takes from it (test/e2e/digitalocean-api.test.ts serves it over SSH).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropletUserData } from "../../../plan/droplet.js";
import { cloudConfigSchema, labHostConfig } from "../../helpers/cloudInit.js";

let dir: string;
const keyPair = (name: string) => {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
  return { privateKey: readFileSync(file, "utf8"), publicKey: readFileSync(`${file}.pub`, "utf8") };
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-cloud-init-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cloud-init's schema, offline", () => {
  it("accepts a valid cloud-config and names the key of an invalid one", () => {
    expect(cloudConfigSchema("#cloud-config\npackage_update: true\npackages:\n  - curl\n")).toMatchObject({ valid: true });
    const bad = cloudConfigSchema("#cloud-config\npackages: 5\n");
    expect(bad.valid).toBe(false);
    expect(bad.output).toContain("packages: 5 is not of type 'array'");
  });

  it("accepts the user data of the lab's droplet", () => {
    const result = cloudConfigSchema(dropletUserData(["qemu-system-x86", "apt-cacher-ng"], keyPair("host")));
    expect(result.output).toMatch(/^Valid cloud-config/);
  });
});

describe("a lab host from user data", () => {
  it("takes the host keys, root's keys and the packages, and refuses what it cannot apply", () => {
    const host = keyPair("host-parse");
    const config = labHostConfig(dropletUserData(["qemu-system-x86"], host));
    expect([...config.hostKeys.keys()]).toEqual(["ed25519"]);
    expect(config.hostKeys.get("ed25519")?.publicKey).toBe(host.publicKey.trim());
    // With host keys given, cloud-init generates none (cc_ssh).
    expect(config.generated).toEqual([]);
    expect(config.packages).toEqual(["qemu-system-x86"]);
    expect(labHostConfig("#cloud-config\nusers: [default, {name: root, ssh_authorized_keys: [ssh-ed25519 AAAA x]}]\n").authorizedKeys).toEqual([
      "ssh-ed25519 AAAA x",
    ]);
    expect(() => labHostConfig("#cloud-config\nruncmd: [reboot]\n")).toThrow("does not apply: runcmd");
    expect(() => labHostConfig("#cloud-config\nusers: [{name: stack}]\n")).toThrow("users: stack: this test host serves root only");
    expect(() => labHostConfig("packages: [curl]\n")).toThrow("not a cloud-config");
  });
});
