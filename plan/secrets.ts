// The lab's generated credentials, made by Node where Pulumi runs (formerly bash, /dev/urandom and
// ssh-keygen in host/generate-credentials.sh), so that machine needs nothing but Node. The plan
// is the text of a small program: it is stored in Pulumi's state and run once per rotation, so
// the same specs must always give the same text, and it may name no path of this checkout.

/**
 * One generated secret. A password is `length` characters of [A-Za-z0-9] (they pass through SQL,
 * YAML and AMQP URLs without quoting trouble) under the key `name`. An ssh-key is an Ed25519 pair
 * in OpenSSH's formats under two keys, `name` joined in camelCase with `PrivateKey` and
 * `PublicKey` (`ssh` gives `sshPrivateKey` and `sshPublicKey`; an empty name gives `privateKey`
 * and `publicKey`); the private key ends with a newline, the public key line does not.
 */
export type SecretSpec =
  | { readonly name: string; readonly kind: "password"; readonly length: number }
  | { readonly name: string; readonly kind: "ssh-key"; readonly comment: string };

type ValueNames<S> = S extends { kind: "password"; name: infer N extends string }
  ? N
  : S extends { kind: "ssh-key"; name: infer N extends string }
    ? N extends ""
      ? "privateKey" | "publicKey"
      : `${N}PrivateKey` | `${N}PublicKey`
    : never;

/** What the generator prints for `Specs` (declared `as const`), by key. */
export type SecretValues<Specs extends readonly SecretSpec[]> = { [K in ValueNames<Specs[number]>]: string };

/** The keys a spec's values appear under in the generator's output. */
export function valueNames(spec: SecretSpec): string[] {
  if (spec.kind === "password") return [spec.name];
  return spec.name === "" ? ["privateKey", "publicKey"] : [`${spec.name}PrivateKey`, `${spec.name}PublicKey`];
}

/** What generate-credentials.sh printed: existing labs' code reads these keys. */
export const LEGACY_LAB_SECRETS = [
  { name: "mariadbRootPassword", kind: "password", length: 24 },
  { name: "rabbitmqPassword", kind: "password", length: 24 },
  { name: "osAdminPassword", kind: "password", length: 24 },
  { name: "osDemoPassword", kind: "password", length: 24 },
  { name: "osSharedSecret", kind: "password", length: 32 },
  { name: "ssh", kind: "ssh-key", comment: "labstack" },
] as const satisfies readonly SecretSpec[];

/** What generate-credentials.sh host-key printed: the host key pair of a host the lab creates. */
export const HOST_KEY_SECRETS = [{ name: "", kind: "ssh-key", comment: "labstack host" }] as const satisfies readonly SecretSpec[];

// The generator itself, CommonJS for `node -e`. Ed25519 keys from node:crypto, written out in
// OpenSSH's formats by hand (ssh-keygen's own layout: PROTOCOL.key): the public key blob is
// string "ssh-ed25519" + string pub32; the private file is "openssh-key-v1\0", cipher and kdf
// "none", one key, then a section of a random check int twice, the key type, the public key,
// seed||public (64 bytes), the comment, and padding 1, 2, 3... to the 8-byte block.
const GENERATOR = String.raw`const crypto = require("node:crypto");
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const password = (length) => Array.from({ length }, () => ALPHANUMERIC[crypto.randomInt(ALPHANUMERIC.length)]).join("");
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const str = (s) => { const b = Buffer.from(s); return Buffer.concat([u32(b.length), b]); };
const sshKey = (comment) => {
  const jwk = crypto.generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d, "base64url");
  const pub = Buffer.from(jwk.x, "base64url");
  const blob = Buffer.concat([str("ssh-ed25519"), str(pub)]);
  const check = crypto.randomBytes(4);
  const section = Buffer.concat([check, check, blob, str(Buffer.concat([seed, pub])), str(comment)]);
  const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1));
  const body = Buffer.concat([Buffer.from("openssh-key-v1\0"), str("none"), str("none"), str(""), u32(1), str(blob), str(Buffer.concat([section, padding]))]);
  const lines = body.toString("base64").match(/.{1,70}/g);
  return {
    privateKey: ["-----BEGIN OPENSSH PRIVATE KEY-----", ...lines, "-----END OPENSSH PRIVATE KEY-----", ""].join("\n"),
    publicKey: "ssh-ed25519 " + blob.toString("base64") + " " + comment,
  };
};
const out = {};
for (const spec of SPECS) {
  if (spec.kind === "password") out[spec.name] = password(spec.length);
  else {
    const key = sshKey(spec.comment);
    out[spec.names[0]] = key.privateKey;
    out[spec.names[1]] = key.publicKey;
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
`;

/**
 * A self-contained Node program (CommonJS, only node:crypto; run it as `node -e <text>`) that
 * prints one JSON object holding a fresh value for every spec, keyed as `valueNames` says.
 */
export function generatorProgram(specs: readonly SecretSpec[]): string {
  const seen = new Set<string>();
  for (const spec of specs) {
    for (const name of valueNames(spec)) {
      if (seen.has(name)) throw new Error(`secret ${JSON.stringify(name)} is generated twice`);
      seen.add(name);
    }
    if (spec.kind === "password" && !(Number.isInteger(spec.length) && spec.length > 0))
      throw new Error(`password ${JSON.stringify(spec.name)}: length ${spec.length} is not a positive integer`);
    // The comment ends the public key line: a line break would make it two lines.
    if (spec.kind === "ssh-key" && /[\r\n]/.test(spec.comment)) throw new Error(`ssh key ${JSON.stringify(spec.name)}: the comment is not one line`);
  }
  // Field by field in a fixed order: specs built another way (another key order, extra fields)
  // give the same text, so Pulumi sees no change. A key pair's output keys are spelled out, so
  // that `valueNames` is their one definition.
  const canonical = specs.map((s) =>
    s.kind === "password" ? { kind: s.kind, name: s.name, length: s.length } : { kind: s.kind, names: valueNames(s), comment: s.comment },
  );
  return `const SPECS = ${JSON.stringify(canonical)};\n${GENERATOR}`;
}
