// The credentials generator as Pulumi will run it (`node -e <text>`), checked against OpenSSH's own
// tools and against what the previous release's host/generate-credentials.sh printed (taken from
// test/fixtures/release-0.1.tar.gz): the same keys, the same formats, keys that ssh-keygen and ssh2
// read, and a program text that does not change.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ssh2 from "ssh2";
import { afterAll, describe, expect, it } from "vitest";
import { generatorProgram, HOST_KEY_SECRETS, LEGACY_LAB_SECRETS, type SecretSpec, type SecretValues, valueNames } from "../../../plan/secrets.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "labstack-secrets-"));
execFileSync("tar", ["-xzf", join(ROOT, "test/fixtures/release-0.1.tar.gz"), "-C", tmp, "release-0.1/provisioning"]);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const generate = (specs: readonly SecretSpec[]): Record<string, string> =>
  JSON.parse(execFileSync(process.execPath, ["-e", generatorProgram(specs)], { encoding: "utf8", cwd: tmp }));
const legacyScript = (...args: string[]): Record<string, string> =>
  JSON.parse(execFileSync("bash", [join(tmp, "release-0.1/provisioning/host/generate-credentials.sh"), ...args], { encoding: "utf8" }));

let keyFiles = 0;
/** ssh-keygen's view of a private key: the public key it derives, and its fingerprint line. */
function sshKeygen(privateKey: string): { publicKey: string; fingerprint: string } {
  const file = join(tmp, `key-${keyFiles++}`);
  // ssh-keygen refuses a private key others may read.
  writeFileSync(file, privateKey, { mode: 0o600 });
  return {
    publicKey: execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim(),
    fingerprint: execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" }).trim(),
  };
}

/** Line lengths of a PEM-style file: its layout without its content. */
const shape = (text: string) => text.split("\n").map((l) => (l.startsWith("-----") ? l : l.length));

describe("generatorProgram", () => {
  it("prints what generate-credentials.sh prints: the same keys, each value in the same format", () => {
    const ours = generate(LEGACY_LAB_SECRETS) as SecretValues<typeof LEGACY_LAB_SECRETS>;
    const theirs = legacyScript();
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(Object.keys(ours)).toEqual(LEGACY_LAB_SECRETS.flatMap(valueNames));
    for (const spec of LEGACY_LAB_SECRETS.filter((s) => s.kind === "password")) {
      expect(ours[spec.name], spec.name).toMatch(new RegExp(`^[A-Za-z0-9]{${spec.length}}$`));
      expect(ours[spec.name].length, spec.name).toBe(theirs[spec.name].length);
    }
    expect(shape(ours.sshPrivateKey)).toEqual(shape(theirs.sshPrivateKey));
    expect(ours.sshPublicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} labstack$/);
    expect(ours.sshPublicKey.split(" ").map((p) => p.length)).toEqual(theirs.sshPublicKey.split(" ").map((p) => p.length));
  });

  it("makes the host key pair of host-key mode under its keys", () => {
    const ours = generate(HOST_KEY_SECRETS);
    const theirs = legacyScript("host-key");
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(shape(ours.privateKey)).toEqual(shape(theirs.privateKey));
    expect(ours.publicKey).toMatch(/^ssh-ed25519 \S+ labstack host$/);
    expect(sshKeygen(ours.privateKey).publicKey).toBe(ours.publicKey);
  });

  it("makes key pairs OpenSSH reads: ssh-keygen derives the same public key and fingerprints it", () => {
    const { sshPrivateKey, sshPublicKey } = generate(LEGACY_LAB_SECRETS);
    const keygen = sshKeygen(sshPrivateKey);
    // ssh-keygen -y prints the comment stored in the private key: so it is there too.
    expect(keygen.publicKey).toBe(sshPublicKey);
    expect(keygen.fingerprint).toMatch(/^256 SHA256:[A-Za-z0-9+/]{43} labstack \(ED25519\)$/);
    const pubFile = join(tmp, "public.pub");
    writeFileSync(pubFile, `${sshPublicKey}\n`);
    expect(execFileSync("ssh-keygen", ["-l", "-f", pubFile], { encoding: "utf8" }).trim()).toBe(keygen.fingerprint);
  });

  it("makes private keys ssh2 reads (what the provider and the command provider connect with)", () => {
    const { sshPrivateKey, sshPublicKey } = generate(LEGACY_LAB_SECRETS);
    const key = ssh2.utils.parseKey(sshPrivateKey);
    if (key instanceof Error) throw key;
    expect(key.type).toBe("ssh-ed25519");
    expect(key.comment).toBe("labstack");
    expect(key.isPrivateKey()).toBe(true);
    expect(key.getPublicSSH().toString("base64")).toBe(sshPublicKey.split(" ")[1]);
    // The private half signs what the public half verifies.
    const data = Buffer.from("labstack");
    expect(key.verify(data, key.sign(data))).toBe(true);
  });

  it("gives new values at every run, and different values within a run", () => {
    const runs = [generate(LEGACY_LAB_SECRETS), generate(LEGACY_LAB_SECRETS), generate(LEGACY_LAB_SECRETS)];
    const values = runs.flatMap((r) => Object.values(r));
    expect(new Set(values).size).toBe(values.length);
  });

  it("draws passwords from all 62 characters", () => {
    const { long } = generate([{ name: "long", kind: "password", length: 4000 }]);
    expect(long).toHaveLength(4000);
    expect(new Set(long).size).toBe(62);
  });

  it("keys a pair by its name, and several pairs in one program are independent", () => {
    const out = generate([
      { name: "a", kind: "ssh-key", comment: "first one" },
      { name: "b", kind: "ssh-key", comment: "second" },
    ]);
    expect(Object.keys(out)).toEqual(["aPrivateKey", "aPublicKey", "bPrivateKey", "bPublicKey"]);
    expect(sshKeygen(out.aPrivateKey).publicKey).toBe(out.aPublicKey);
    expect(sshKeygen(out.bPrivateKey).publicKey).toBe(out.bPublicKey);
    expect(out.aPublicKey.endsWith(" first one")).toBe(true);
    expect(out.aPublicKey.split(" ")[1]).not.toBe(out.bPublicKey.split(" ")[1]);
  });

  it("is the same text for the same specs, however they were built, and names no path", () => {
    const text = generatorProgram(LEGACY_LAB_SECRETS);
    const rebuilt = JSON.parse(JSON.stringify(LEGACY_LAB_SECRETS)).map((s: Record<string, unknown>) => Object.fromEntries(Object.entries(s).reverse()));
    expect(generatorProgram(rebuilt)).toBe(text);
    expect(generatorProgram([...LEGACY_LAB_SECRETS])).toBe(text);
    expect(generatorProgram(HOST_KEY_SECRETS)).not.toBe(text);
    expect(text).not.toContain(ROOT);
    expect(text).not.toMatch(/(^|[\s"'`(])\/[A-Za-z]/m);
    // Only node:crypto: no other module, no file or process access beyond printing the result.
    expect([...text.matchAll(/require\(([^)]*)\)/g)].map((m) => m[1])).toEqual(['"node:crypto"']);
    expect(text).not.toMatch(/\b(import|process\.(argv|env|cwd)|__dirname|__filename)\b/);
  });

  it("refuses specs that would collide or cannot be made", () => {
    expect(() => generatorProgram([...LEGACY_LAB_SECRETS, { name: "sshPublicKey", kind: "password", length: 8 }])).toThrow('"sshPublicKey" is generated twice');
    expect(() => generatorProgram([{ name: "p", kind: "password", length: 0 }])).toThrow("not a positive integer");
    expect(() => generatorProgram([{ name: "k", kind: "ssh-key", comment: "two\nlines" }])).toThrow("not one line");
  });
});
