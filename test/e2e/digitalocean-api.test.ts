// The real DigitalOcean provider (pulumi-resource-digitalocean, built by ensure-pulumi.sh from its
// source) through the real engine, against a DigitalOcean API this test serves on loopback
// (test/helpers/fakeDigitalOcean.ts), with a small program of the test's own making what our
// droplet host makes: an SSH key, a droplet with the lab's user data, and a firewall. The created
// droplet becomes a lab host: an SSH server in this suite's namespace, set up from the user data
// and the key the API gave it, at the address the API reports. Nothing here reaches a real
// address: the provider's only endpoint is the served API, and the droplet's address is the
// namespace's. Root only (a namespace, sshd).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropletUserData } from "../../plan/droplet.js";
import { type CloudInitHost, startCloudInitHost } from "../helpers/cloudInit.js";
import { engineBin, engineOptions } from "../helpers/engine.js";
import { type FakeDigitalOcean, keyFingerprint, startFakeDigitalOcean } from "../helpers/fakeDigitalOcean.js";
import { createNamespace, type Namespace, removeStaleNamespace } from "../helpers/netns.js";

const NS = "lse-doapi";
const LINK = 13;
const TOKEN = "dop_v1_labstack-served-api";
const PACKAGES = ["qemu-system-x86", "apt-cacher-ng"];

/** The stack program: what components/host/DropletHost.ts makes, without the readiness gate. */
const program = async () => {
  const config = new pulumi.Config();
  const key = new digitalocean.SshKey("key", { name: "labstack-do", publicKey: config.require("labPublicKey") });
  const droplet = new digitalocean.Droplet("droplet", {
    name: "labstack-do",
    region: config.require("region"),
    size: config.require("size"),
    image: "ubuntu-24-04-x64",
    sshKeys: [key.fingerprint],
    tags: ["labstack-do"],
    userData: config.requireSecret("userData"),
  });
  const firewall = new digitalocean.Firewall("firewall", {
    name: "labstack-do",
    dropletIds: [droplet.id.apply(Number)],
    inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.7/32"] }],
    outboundRules: [
      { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
      { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
    ],
  });
  return { address: droplet.ipv4Address, fingerprint: key.fingerprint, dropletId: droplet.id, firewallId: firewall.id };
};

let dir: string;
let ns: Namespace;
let api: FakeDigitalOcean;
let options: Awaited<ReturnType<typeof engineOptions>>;
let host: CloudInitHost | undefined;
const keys: Record<string, { file: string; privateKey: string; publicKey: string }> = {};

function keyPair(name: string) {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
  keys[name] = { file, privateKey: readFileSync(file, "utf8"), publicKey: readFileSync(`${file}.pub`, "utf8").trim() };
}

async function stack(name: string, config: { token?: string; size?: string; region?: string } = {}): Promise<Stack> {
  const s = await LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: "labstack-do-e2e", program },
    { ...options, projectSettings: { name: "labstack-do-e2e", runtime: "nodejs", backend: { url: `file://${join(dir, ".state")}` } } },
  );
  await s.setAllConfig({
    "digitalocean:token": { value: config.token ?? TOKEN, secret: true },
    "digitalocean:apiEndpoint": { value: api.url },
    size: { value: config.size ?? "s-2vcpu-4gb" },
    region: { value: config.region ?? "fra1" },
    labPublicKey: { value: keys.lab.publicKey },
    userData: { value: dropletUserData(PACKAGES, keys.host), secret: true },
  });
  return s;
}

/** The provider's resources a stack's state holds. */
async function inState(s: Stack): Promise<string[]> {
  const state = await s.exportStack();
  // Types are tokens like digitalocean:index/sshKey:SshKey; the provider itself is pulumi:providers:digitalocean.
  return (state.deployment.resources ?? [])
    .filter((r: { type: string }) => r.type.startsWith("digitalocean:"))
    .map((r: { type: string; id: string }) => `${r.type.split(":").pop()}:${r.id}`);
}

/** What the served API holds, named as in state. */
function inApi(): string[] {
  const r = api.resources();
  return [...r.sshKeys.map((k) => `SshKey:${k.id}`), ...r.droplets.map((d) => `Droplet:${d.id}`), ...r.firewalls.map((f) => `Firewall:${f.id}`)];
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => "",
    (e: Error) => e.message,
  );

beforeAll(async () => {
  const bin = engineBin("--provider", "digitalocean");
  dir = mkdtempSync(join(tmpdir(), "labstack-do-e2e-"));
  keyPair("lab");
  keyPair("host");
  keyPair("stranger");
  removeStaleNamespace(NS);
  ns = createNamespace(NS, LINK);
  api = await startFakeDigitalOcean({
    token: TOKEN,
    // The droplet comes up as cloud-init would make it, at the namespace's address.
    onDropletCreated: async (droplet) => {
      host?.stop();
      host = await startCloudInitHost(ns, ns.address, join(dir, `droplet-${droplet.id}`), droplet.userData, droplet.authorizedKeys);
      return { ipv4Address: ns.address };
    },
  });
  options = await engineOptions(bin, dir);
});
afterAll(async () => {
  host?.stop();
  await api?.stop();
  ns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the DigitalOcean provider against a served DigitalOcean API", () => {
  it("makes the key, the droplet and the firewall, leaves them alone on a second up, and deletes all three", async () => {
    const s = await stack("lab");
    // A rate limit on the way is waited out as the API's Retry-After says (2 s; the provider's
    // own backoff would begin at 1 s).
    api.rateLimit(2, 2);
    const up = await s.up();
    expect(up.summary.result).toBe("succeeded");
    const keyCalls = api.calls.filter((c) => c.path === "/v2/account/keys");
    expect(keyCalls.map((c) => c.status)).toEqual([429, 429, 201]);
    for (let i = 1; i < keyCalls.length; i++) expect(keyCalls[i].at - keyCalls[i - 1].at).toBeGreaterThanOrEqual(1900);
    expect(up.summary.resourceChanges?.create).toBe(4); // the stack and the three
    // The plugins come from the engine's plugin cache, not from PATH.
    expect(`${up.stdout}${up.stderr}`).not.toContain("from $PATH");

    const made = api.resources();
    expect(made.sshKeys).toEqual([{ id: expect.any(Number), name: "labstack-do", fingerprint: keyFingerprint(keys.lab.publicKey) }]);
    expect(up.outputs.fingerprint.value).toBe(keyFingerprint(keys.lab.publicKey));
    expect(made.droplets).toEqual([
      {
        id: Number(up.outputs.dropletId.value),
        name: "labstack-do",
        region: "fra1",
        size: "s-2vcpu-4gb",
        image: "ubuntu-24-04-x64",
        tags: ["labstack-do"],
        userData: dropletUserData(PACKAGES, keys.host),
        authorizedKeys: [keys.lab.publicKey],
      },
    ]);
    expect(made.firewalls).toEqual([{ id: up.outputs.firewallId.value, name: "labstack-do", dropletIds: [made.droplets[0].id] }]);
    expect((await inState(s)).sort()).toEqual(inApi().sort());
    expect(api.unserved).toEqual([]);

    // The droplet is a lab host at the address the API reported, with the user data's host key:
    // pinned to that key, root gets in with the lab's key; another pinned key is refused.
    expect(up.outputs.address.value).toBe(ns.address);
    expect(host?.packages).toEqual(PACKAGES);
    const ssh = (key: string, knownHost: string) => {
      const knownHosts = join(dir, "known_hosts");
      writeFileSync(knownHosts, `${up.outputs.address.value} ${knownHost}\n`);
      return spawnSync(
        "ssh",
        [
          "-i",
          key,
          "-o",
          "BatchMode=yes",
          "-o",
          "StrictHostKeyChecking=yes",
          "-o",
          `UserKnownHostsFile=${knownHosts}`,
          "-o",
          "ConnectTimeout=5",
          `root@${up.outputs.address.value}`,
          "echo in",
        ],
        { encoding: "utf8" },
      );
    };
    const pinned = ssh(keys.lab.file, keys.host.publicKey);
    expect(pinned.stdout.trim(), pinned.stderr).toBe("in");
    expect(ssh(keys.stranger.file, keys.host.publicKey).stderr).toContain("Permission denied");
    expect(ssh(keys.lab.file, keys.stranger.publicKey).stderr).toContain("Host key verification failed");

    const before = api.calls.length;
    const again = await s.up();
    expect(again.summary.resourceChanges).toEqual({ same: 4 });
    expect(api.calls.slice(before).filter((c) => c.method !== "GET")).toEqual([]);

    const destroyed = api.calls.length;
    await s.destroy();
    expect(api.resources()).toEqual({ sshKeys: [], droplets: [], firewalls: [] });
    const deletes = api.calls
      .slice(destroyed)
      .filter((c) => c.method === "DELETE")
      .map((c) => `${c.path} ${c.status}`);
    expect(deletes).toEqual([
      `/v2/firewalls/${made.firewalls[0].id} 204`,
      `/v2/droplets/${made.droplets[0].id} 204`,
      `/v2/account/keys/${made.sshKeys[0].id} 204`,
    ]);
    expect(await inState(s)).toEqual([]);
    expect(api.unserved).toEqual([]);
  });

  it("ends a wrong token with the API's 401, having made nothing", async () => {
    const s = await stack("bad-token", { token: "dop_v1_wrong" });
    const message = await failure(s.up());
    expect(message).toMatch(
      /Error creating SSH Key: POST http:\/\/127\.0\.0\.1:\d+\/v2\/account\/keys: 401 \(request "[0-9a-f-]+"\) Unable to authenticate you/,
    );
    expect(inApi()).toEqual([]);
    expect(await inState(s)).toEqual([]);
  });

  it("ends an unknown size or region with the API's 422, and makes no droplet", async () => {
    for (const [config, said] of [
      [{ size: "s-64vcpu-1tb" }, "You specified an invalid size for Droplet creation."],
      [{ region: "xyz9" }, "You specified an invalid region for Droplet creation."],
      [{ size: "s-8vcpu-16gb", region: "ams3" }, "Size is not available in this region."],
    ] as const) {
      const s = await stack("bad-size", config);
      const message = await failure(s.up());
      expect(message).toContain(`Error creating droplet: POST ${api.url}/v2/droplets: 422`);
      expect(message).toContain(said);
      // Nothing half-made: what the API holds is what the state knows (the key made before the
      // droplet), so destroy removes it.
      expect(api.resources().droplets).toEqual([]);
      expect(inApi().sort()).toEqual((await inState(s)).sort());
      await s.destroy();
      expect(inApi()).toEqual([]);
    }
  });

  it("ends a rate limit that lasts with the API's 429 after the provider's retries, having made nothing", async () => {
    const s = await stack("rate-limit");
    const start = api.calls.length;
    api.rateLimit(100, 1);
    const lasting = await failure(s.up());
    api.rateLimit(0);
    // The first try and the provider's 4 retries (its http_retry_max), all answered 429.
    expect(api.calls.slice(start).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(Array(5).fill("POST /v2/account/keys 429"));
    expect(lasting).toMatch(
      /Error creating SSH Key: POST \S+\/v2\/account\/keys: 429 \(request "[0-9a-f-]+"\) API Rate limit exceeded\.; giving up after 5 attempt\(s\)/,
    );
    expect(inApi()).toEqual([]);
    expect(await inState(s)).toEqual([]);
    expect(api.unserved).toEqual([]);
  });
});
