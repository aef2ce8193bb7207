// The `digitalocean` lab host kind through the real engine and the real DigitalOcean provider
// (pulumi-resource-digitalocean, built from its source by ensure-pulumi.sh), against the DigitalOcean
// API this suite serves (test/helpers/fakeDigitalOcean.ts) inside its own network namespace. A
// droplet the API creates becomes the lab host: an SSH server in that namespace at the address the
// API reports, set up from the droplet's user data as cloud-init would set it up (checked by
// `cloud-init schema`; its host key, root's key from the API, its packages already here), with
// QEMU (TCG) running the lab's one node there. The engine stays outside, like a learner's laptop.
// net-lab2 on QEMU, as in lab-sshhost.test.ts (the same built image, so the image cache is shared).
//
// First what must fail, before any droplet exists: a wrong token (401), a lasting rate limit
// (429), sizes and regions the API's sizes refuse (named by their config keys, checked before the
// droplet is created), an image the API refuses (422); each leaves no droplet and a state that
// matches the API. Then the lab comes up through a passing rate limit with every check green, a
// second `up` changes nothing, the droplet's pinned host key is the user data's and a server with
// another key is refused, and `destroy` deletes the firewall, the droplet and the key through the
// API. Deleting the test's droplet takes everything on it (its processes, devices and folders),
// as DigitalOcean's would. Nothing reaches a real address. Root only (a namespace, sshd, QEMU).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProgram, type SshTarget } from "../../components/provider/remote.js";
import { type CloudInitHost, labHostConfig, startCloudInitHost } from "../helpers/cloudInit.js";
import { engineBin } from "../helpers/engine.js";
import { changed, type EngineLab, openEngineLab, SCRATCH_ROOT } from "../helpers/engineLab.js";
import { type FakeDigitalOcean, type FakeDroplet, startFakeDigitalOcean } from "../helpers/fakeDigitalOcean.js";
import { namespaceLinks } from "../helpers/netns.js";

const SUITE = "droplet";
const LINK = 8;
const STACK = "net-lab2";
const TOKEN = "dop_v1_labstack-served-api";
const SCRATCH = join(SCRATCH_ROOT, SUITE);
/** The lab's droplet: the smallest basic size the served API offers that fits one 512 MiB node. */
const GOOD = { region: "fra1", size: "s-2vcpu-4gb", image: "ubuntu-24-04-x64" };

const failure = (p: Promise<unknown>) =>
  p.then(
    () => "",
    (e: Error) => e.message,
  );

/** Secret values in an exported state (`stack export --show-secrets`), revealed. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
function reveal(value: any): any {
  if (value && typeof value === "object") {
    if (SECRET_SIG in value) return reveal(JSON.parse(value.plaintext));
    if (Array.isArray(value)) return value.map(reveal);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  }
  return value;
}

describe.sequential("a lab on a DigitalOcean droplet, through the engine, the real provider and a served API", () => {
  let lab: EngineLab;
  let api: FakeDigitalOcean;
  let host: CloudInitHost | undefined;
  const droplets: FakeDroplet[] = [];

  /** The test's droplet: made as cloud-init would make it, at the namespace's address. */
  const dropletUp = async (droplet: FakeDroplet) => {
    host?.stop();
    host = await startCloudInitHost(lab.ns, lab.ns.address, join(SCRATCH, `droplet-${droplet.id}`), droplet.userData, droplet.authorizedKeys);
    droplets.push(droplet);
    return { ipv4Address: lab.ns.address };
  };
  /** A deleted droplet takes everything on it: every process in the namespace (the engine runs
   * outside it), the lab's devices, and its folders on the droplet's disk. */
  const dropletGone = () => {
    host?.stop();
    host = undefined;
    const pids = spawnSync("ip", ["netns", "pids", lab.ns.name], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const pid of pids) spawnSync("kill", ["-9", pid]);
    for (const link of namespaceLinks(lab.ns)) spawnSync("ip", ["-n", lab.ns.name, "link", "del", link]);
    rmSync(lab.stateDir, { recursive: true, force: true });
    rmSync(lab.credentialsDir, { recursive: true, force: true });
  };

  /** The provider's resources the stack's state holds, as `Type:id`. */
  const inState = async () =>
    ((await lab.stack.exportStack()).deployment.resources ?? [])
      .filter((r: { type: string }) => r.type.startsWith("digitalocean:"))
      .map((r: { type: string; id: string }) => `${r.type.split(":").pop()}:${r.id}`)
      .sort();
  /** What the served API holds, named as in state. */
  const inApi = () => {
    const r = api.resources();
    return [...r.sshKeys.map((k) => `SshKey:${k.id}`), ...r.droplets.map((d) => `Droplet:${d.id}`), ...r.firewalls.map((f) => `Firewall:${f.id}`)].sort();
  };
  /** An `up` that must fail: its message, with the calls it made, and nothing half-made after it. */
  const refused = async () => {
    const start = api.calls.length;
    const message = await failure(lab.up());
    const calls = api.calls.slice(start);
    expect(message).not.toBe("");
    expect(calls.filter((c) => c.method === "POST" && c.path === "/v2/droplets" && c.status < 300)).toEqual([]);
    expect(api.resources().droplets).toEqual([]);
    expect(await inState()).toEqual(inApi());
    return { message, calls };
  };
  const setHost = (values: Record<string, string>) => {
    Object.assign(lab.raw.host, values);
    lab.writeConfig();
  };

  beforeAll(async () => {
    // The DigitalOcean provider, built once into the engine's plugin cache (openEngineLab then finds it there).
    engineBin("--provider", "digitalocean");
    lab = await openEngineLab(
      SUITE,
      STACK,
      LINK,
      (raw) => {
        raw.hypervisor = { kind: "qemu", accel: "tcg" };
        raw.image = { build: { distro: "debian", release: "bookworm" } };
        // The laptop's address as the droplet sees it: the namespace link's outer end.
        raw.host = { kind: "digitalocean", ...GOOD, sshSourceCidrs: [`10.254.${LINK}.1/32`], stateDir: raw.host.stateDir };
      },
      { engineOutside: true },
    );
    api = await startFakeDigitalOcean({
      token: TOKEN,
      listen: { namespace: lab.ns.name, host: lab.ns.address },
      onDropletCreated: dropletUp,
      onDropletDeleted: dropletGone,
    });
    await lab.stack.setAllConfig({ "digitalocean:token": { value: TOKEN, secret: true }, "digitalocean:apiEndpoint": { value: api.url } });
  });
  afterAll(async () => {
    // The API first answers the engine's last destroy, then goes with the namespace.
    await lab?.close();
    host?.stop();
    await api?.stop();
  });

  it("serves the API inside the suite's namespace only", () => {
    expect(api.url).toBe(`http://${lab.ns.address}:${new URL(api.url).port}`);
    const inside = lab.inNamespace(["ss", "-Htln", `sport = :${new URL(api.url).port}`]);
    expect(inside.stdout).toContain(`${lab.ns.address}:${new URL(api.url).port}`);
    expect(spawnSync("ss", ["-Htln", `sport = :${new URL(api.url).port}`], { encoding: "utf8" }).stdout).not.toContain(lab.ns.address);
  });

  it("ends a wrong token with the API's 401 and a lasting rate limit with its 429, having made nothing", async () => {
    await lab.stack.setConfig("digitalocean:token", { value: "dop_v1_wrong", secret: true });
    const badToken = await refused();
    await lab.stack.setConfig("digitalocean:token", { value: TOKEN, secret: true });
    expect(badToken.message).toMatch(/GET http:\/\/\S+\/v2\/sizes\S*: 401 \(request "[0-9a-f-]+"\) Unable to authenticate you/);
    expect(new Set(badToken.calls.map((c) => c.status))).toEqual(new Set([401]));
    expect(inApi()).toEqual([]);

    // The provider retries a 429 (4 times, as Retry-After says), then gives up naming it.
    api.rateLimit(1000, 1);
    const limited = await refused();
    api.rateLimit(0);
    expect(limited.message).toMatch(/429 \(request "[0-9a-f-]+"\) API Rate limit exceeded\.; giving up after 5 attempt\(s\)/);
    expect(new Set(limited.calls.map((c) => c.status))).toEqual(new Set([429]));
    expect(inApi()).toEqual([]);
    expect(api.unserved).toEqual([]);
  });

  it("refuses a size or region the API's sizes rule out, by its key, before any droplet exists", async () => {
    const cases: [Record<string, string>, string][] = [
      // Its slug says 64 vCPUs and 1 TB, enough for the model; the API has no such size.
      [{ size: "s-64vcpu-1024gb" }, "labstack:lab.host.size: s-64vcpu-1024gb is not a droplet size the DigitalOcean API knows"],
      [{ region: "xyz9" }, "labstack:lab.host.region: xyz9 is not a region where the DigitalOcean API offers droplets (it offers them in ams3, fra1, nyc3"],
      [
        { size: "s-8vcpu-16gb", region: "ams3" },
        "labstack:lab.host.size: s-8vcpu-16gb is not offered in ams3 (it is in fra1, nyc3); sizes in ams3 that fit the lab: s-2vcpu-4gb",
      ],
      // Its slug says 1 GB, which the model lets through for a 512 MiB node: the API's memory and the droplet's own needs refuse it.
      [
        { size: "s-1vcpu-1gb" },
        "labstack:lab.host.size: s-1vcpu-1gb has 1024 MiB of memory, but the nodes need 512 MiB and the droplet itself 1024 MiB; sizes in fra1 that fit the lab: s-2vcpu-4gb",
      ],
    ];
    // A preview says it already: the sizes are read then too.
    setHost({ ...GOOD, ...cases[2][0] });
    expect(await failure(lab.preview())).toContain(cases[2][1]);
    for (const [values, said] of cases) {
      setHost({ ...GOOD, ...values });
      const { message, calls } = await refused();
      expect(message).toContain(`the droplet is not created: its size fails the check against the sizes the DigitalOcean API lists:\n      - ${said}`);
      // On the droplet's component, without a stack trace: what to change is in the config.
      expect(message).toContain("labstack:host:DropletHost (net-lab2-host):");
      expect(message).not.toMatch(/^\s+at .*DropletHost/m);
      // The sizes were read from the API; no droplet was asked for.
      expect(calls.some((c) => c.method === "GET" && c.path.startsWith("/v2/sizes") && c.status === 200)).toBe(true);
      expect(calls.filter((c) => c.path.startsWith("/v2/droplets"))).toEqual([]);
    }
    setHost(GOOD);
  });

  it("ends an image the API refuses with its 422, and no droplet", async () => {
    setHost({ ...GOOD, image: "ubuntu-10-04-x64" });
    const { message, calls } = await refused();
    setHost(GOOD);
    expect(message).toMatch(
      /Error creating droplet: POST \S+\/v2\/droplets: 422 \(request "[0-9a-f-]+"\) You specified an invalid image for Droplet creation\./,
    );
    expect(calls.filter((c) => c.method === "POST" && c.path === "/v2/droplets").map((c) => c.status)).toEqual([422]);
    // What the failed runs made (the lab's SSH key) is in the state, so the next up uses it and destroy removes it.
    expect(inApi().every((r) => r.startsWith("SshKey:"))).toBe(true);
  });

  it("comes up on a droplet made from its user data, through a passing rate limit, with every check green", async () => {
    const start = api.calls.length;
    api.rateLimit(2, 2);
    const up = await lab.up();
    expect(up.summary.result).toBe("succeeded");
    const calls = api.calls.slice(start);
    // The provider waited as the API's Retry-After said (2 s), then went on.
    const limited = calls.filter((c) => c.status === 429);
    expect(limited).toHaveLength(2);
    for (const c of limited) {
      const retry = calls.find((r) => r.at > c.at && r.method === c.method && r.path === c.path && r.status !== 429);
      expect(retry, `${c.method} ${c.path} retried`).toBeDefined();
      expect(retry!.at - c.at).toBeGreaterThanOrEqual(1900);
    }
    expect(api.unserved).toEqual([]);

    // One droplet, as the config asked, with the lab's key for root and its firewall.
    const made = api.resources();
    expect(made.droplets).toHaveLength(1);
    const [droplet] = made.droplets;
    expect(droplet).toMatchObject({ name: `labstack-${STACK}`, ...GOOD, tags: [`labstack-${STACK}`] });
    const labPublicKey = execFileSync("ssh-keygen", ["-y", "-f", join(lab.credentialsDir, "lab-key")], { encoding: "utf8" }).trim();
    expect(droplet.authorizedKeys.map((k) => k.split(" ").slice(0, 2).join(" "))).toEqual([labPublicKey.split(" ").slice(0, 2).join(" ")]);
    expect(made.firewalls).toEqual([{ id: expect.any(String), name: `labstack-${STACK}`, dropletIds: [droplet.id] }]);
    expect(await inState()).toEqual(inApi());

    // cloud-init accepts its user data; what it installs for QEMU is what the lab needs.
    expect(host?.schema?.valid ?? true, host?.schema?.output).toBe(true);
    expect(host?.packages).toEqual(["qemu-system-x86", "qemu-utils", "cloud-image-utils"]);

    // QEMU runs on the droplet, and the lab's checks pass there.
    const pid = readFileSync(join(lab.stateDir, "vms", "boxA", "qemu.pid"), "utf8").trim();
    expect(execFileSync("ip", ["netns", "identify", pid], { encoding: "utf8" }).trim()).toBe(lab.ns.name);
    const outputs = await lab.stack.outputs();
    const checks = outputs.checks.value as Record<string, string>;
    expect(Object.keys(checks).length).toBeGreaterThanOrEqual(2);
    for (const [name, out] of Object.entries(checks)) expect(out, name).toMatch(/^ok: /m);
    expect(outputs.host.value.address).toBe(lab.ns.address);
    expect(outputs.ssh_config.value).toContain(`HostName ${lab.ns.address}`);
  });

  it("a second up changes nothing and asks the API for nothing new", async () => {
    const start = api.calls.length;
    expect(changed(await lab.up())).toEqual({});
    expect(api.calls.slice(start).filter((c) => c.method !== "GET")).toEqual([]);
    expect(droplets).toHaveLength(1);
  });

  it("pins the host key the user data carried, on every connection to the droplet, and refuses a server with another", async () => {
    const hostKey = labHostConfig(droplets[0].userData).hostKeys.get("ed25519")!.publicKey;
    // The droplet offers that key and no other.
    expect(host?.offeredKeys.map((k) => k.split(" ").slice(0, 2).join(" "))).toEqual([hostKey.split(" ").slice(0, 2).join(" ")]);
    const resources = reveal((await lab.stack.exportStack()).deployment.resources) as { type: string; urn: string; inputs: any }[];
    const onDroplet = resources.filter((r) => r.type === "command:remote:Command" && r.inputs.connection?.host === lab.ns.address);
    expect(onDroplet.map((r) => r.urn.split("::").pop())).toEqual(
      expect.arrayContaining([`${STACK}-host-ready`, `${STACK}-preflight-run`, `${STACK}-boxA-machine-vm`]),
    );
    for (const r of onDroplet) expect(r.inputs.connection.hostKey, r.urn).toBe(hostKey);
    const throughDroplet = resources.filter((r) => r.inputs?.connection?.proxy?.host === lab.ns.address);
    expect(throughDroplet.length).toBeGreaterThan(0);
    for (const r of throughDroplet) expect(r.inputs.connection.proxy.hostKey, r.urn).toBe(hostKey);

    // The lab's own reads of the droplet (its VM's Health) with the lab's target: the droplet
    // answers; another server at its address, with a key of its own, is refused.
    const target = resources.find((r) => r.urn.endsWith(`::${STACK}-boxA-machine-vm-health`))!.inputs.target as SshTarget;
    expect(target).toMatchObject({ kind: "ssh", host: lab.ns.address, port: 22, user: "root", hostKey });
    expect(await runProgram(target, "echo in", [])).toMatchObject({ code: 0, stdout: "in\n" });
    host?.stop();
    const impostor = await startCloudInitHost(
      lab.ns,
      lab.ns.address,
      join(SCRATCH, "impostor"),
      "#cloud-config\nssh_genkeytypes: [ed25519]\n",
      droplets[0].authorizedKeys,
    );
    try {
      const refusedRun = await runProgram(target, "echo in", []);
      expect(refusedRun).toMatchObject({ code: null, failure: "host-key" });
      expect(refusedRun.stderr).toMatch(/presented host key SHA256:\S+, not the pinned SHA256:\S+/);
    } finally {
      impostor.stop();
      host = await startCloudInitHost(lab.ns, lab.ns.address, join(SCRATCH, `droplet-${droplets[0].id}`), droplets[0].userData, droplets[0].authorizedKeys);
    }
    expect(await runProgram(target, "echo in", [])).toMatchObject({ code: 0, stdout: "in\n" });
  });

  it("destroy deletes the firewall, the droplet and the key through the API, and nothing is left", async () => {
    const [droplet] = api.resources().droplets;
    const [firewall] = api.resources().firewalls;
    const [key] = api.resources().sshKeys;
    const start = api.calls.length;
    await lab.destroy();
    expect(api.resources()).toEqual({ sshKeys: [], droplets: [], firewalls: [] });
    expect(
      api.calls
        .slice(start)
        .filter((c) => c.method === "DELETE")
        .map((c) => `${c.path} ${c.status}`),
    ).toEqual([`/v2/firewalls/${firewall.id} 204`, `/v2/droplets/${droplet.id} 204`, `/v2/account/keys/${key.id} 204`]);
    expect(api.unserved).toEqual([]);
    expect((await lab.stack.exportStack()).deployment.resources ?? []).toEqual([]);
    // The droplet went with everything on it.
    expect(spawnSync("ip", ["netns", "pids", lab.ns.name], { encoding: "utf8" }).stdout.trim()).toBe("");
    expect(namespaceLinks(lab.ns)).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
  });
});
