// A DigitalOcean API served on a test's own address, for the real DigitalOcean provider
// (pulumi-resource-digitalocean, which reaches it through `digitalocean:apiEndpoint`): the
// endpoints that provider calls for SSH keys, droplets and firewalls, found by logging its
// requests, with the API's JSON shapes, status codes, pagination and error bodies. Any other
// endpoint is answered 501 and recorded as unserved, so a test sees what the provider asked that
// this API does not know, instead of a silently empty answer. Every call is recorded. It listens
// on loopback, or inside a test's network namespace (`listen.namespace`).

import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Server } from "node:net";

export interface FakeSize {
  readonly slug: string;
  readonly vcpus: number;
  /** MiB, as the API gives it. */
  readonly memory: number;
  /** GB. */
  readonly disk: number;
  readonly priceMonthly: number;
  readonly regions: readonly string[];
}

export interface FakeRegion {
  readonly slug: string;
  readonly name: string;
}

/** A created droplet as the test sees it: what the provider asked for, keys resolved. */
export interface FakeDroplet {
  readonly id: number;
  readonly name: string;
  readonly region: string;
  readonly size: string;
  readonly image: string;
  readonly tags: readonly string[];
  readonly userData: string;
  /** The public halves of the SSH keys the droplet was created with: what the API puts into root's authorized_keys. */
  readonly authorizedKeys: readonly string[];
}

export interface FakeCall {
  readonly method: string;
  /** Path and query, as requested. */
  readonly path: string;
  /** The parsed JSON body, or undefined. */
  readonly body: any;
  readonly status: number;
  /** When it arrived (ms since the epoch): how long a client waited between retries. */
  readonly at: number;
}

export interface FakeDigitalOceanOptions {
  /** The only bearer token the API accepts. */
  readonly token: string;
  /** Where to listen: loopback by default; the port is chosen by the system unless given. With
   * `namespace`, the listening socket is made inside that network namespace (root only): the API
   * is then served there, to the namespace and its link, while this process answers it. */
  readonly listen?: { readonly host?: string; readonly port?: number; readonly namespace?: string };
  readonly sizes?: readonly FakeSize[];
  readonly regions?: readonly FakeRegion[];
  readonly images?: readonly string[];
  /** Called when a droplet is created; may give its public IPv4 address (default: one of TEST-NET-1, which nothing routes). */
  readonly onDropletCreated?: (droplet: FakeDroplet) => undefined | { ipv4Address?: string } | Promise<undefined | { ipv4Address?: string }>;
  /** Called when a droplet is deleted, before the API answers: what was on it goes with it. */
  readonly onDropletDeleted?: (droplet: FakeDroplet) => void | Promise<void>;
  /** Reads of a new droplet that still find it `new` before it is `active` (the provider polls). */
  readonly pollsUntilActive?: number;
}

export interface FakeDigitalOcean {
  /** The API endpoint for `digitalocean:apiEndpoint`. */
  readonly url: string;
  readonly calls: readonly FakeCall[];
  /** Calls to endpoints this API does not serve (answered 501). */
  readonly unserved: readonly FakeCall[];
  /** What exists now. */
  resources(): {
    sshKeys: { id: number; name: string; fingerprint: string }[];
    droplets: FakeDroplet[];
    firewalls: { id: string; name: string; dropletIds: number[] }[];
  };
  /** The next `count` requests are answered 429 with this Retry-After. */
  rateLimit(count: number, retryAfterSeconds?: number): void;
  stop(): Promise<void>;
}

export const DEFAULT_REGIONS: readonly FakeRegion[] = [
  { slug: "fra1", name: "Frankfurt 1" },
  { slug: "ams3", name: "Amsterdam 3" },
  { slug: "nyc3", name: "New York 3" },
];

// Slugs, vCPUs, memory, disk and prices of DigitalOcean's basic sizes.
export const DEFAULT_SIZES: readonly FakeSize[] = [
  { slug: "s-1vcpu-1gb", vcpus: 1, memory: 1024, disk: 25, priceMonthly: 6, regions: ["fra1", "ams3", "nyc3"] },
  { slug: "s-2vcpu-4gb", vcpus: 2, memory: 4096, disk: 80, priceMonthly: 24, regions: ["fra1", "ams3", "nyc3"] },
  { slug: "s-4vcpu-8gb", vcpus: 4, memory: 8192, disk: 160, priceMonthly: 48, regions: ["fra1", "ams3", "nyc3"] },
  { slug: "s-8vcpu-16gb", vcpus: 8, memory: 16384, disk: 320, priceMonthly: 96, regions: ["fra1", "nyc3"] },
];

export const DEFAULT_IMAGES: readonly string[] = ["ubuntu-24-04-x64", "ubuntu-22-04-x64", "debian-12-x64"];

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

const unprocessable = (message: string) => new ApiError(422, "unprocessable_entity", message);
const notFound = () => new ApiError(404, "not_found", "The resource you were accessing could not be found.");

/** The MD5 fingerprint DigitalOcean shows for a key: of the key's decoded blob, hex pairs joined by colons. */
export function keyFingerprint(publicKey: string): string {
  const blob = publicKey.trim().split(/\s+/)[1] ?? "";
  return createHash("md5").update(Buffer.from(blob, "base64")).digest("hex").match(/../g)?.join(":") ?? "";
}

interface Key {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
}

interface Droplet {
  record: FakeDroplet;
  reads: number;
  ipv4: string;
  created: string;
  imageId: number;
}

interface Firewall {
  id: string;
  name: string;
  inbound_rules: any[];
  outbound_rules: any[];
  droplet_ids: number[];
  tags: string[];
  created_at: string;
}

export async function startFakeDigitalOcean(options: FakeDigitalOceanOptions): Promise<FakeDigitalOcean> {
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const regions = options.regions ?? DEFAULT_REGIONS;
  const images = options.images ?? DEFAULT_IMAGES;
  const pollsUntilActive = options.pollsUntilActive ?? 1;
  const calls: FakeCall[] = [];
  const unserved: FakeCall[] = [];
  const keys = new Map<number, Key>();
  const droplets = new Map<number, Droplet>();
  const firewalls = new Map<string, Firewall>();
  let nextId = 1000;
  let limited = 0;
  let retryAfter = 1;
  let base = "";

  const regionJson = (slug: string) => {
    const r = regions.find((x) => x.slug === slug)!;
    return {
      slug: r.slug,
      name: r.name,
      available: true,
      features: ["backups", "ipv6", "metadata", "install_agent", "storage"],
      sizes: sizes.filter((s) => s.regions.includes(slug)).map((s) => s.slug),
    };
  };
  const sizeJson = (s: FakeSize) => ({
    slug: s.slug,
    memory: s.memory,
    vcpus: s.vcpus,
    disk: s.disk,
    transfer: s.memory / 1024,
    price_monthly: s.priceMonthly,
    price_hourly: Math.round((s.priceMonthly / 672) * 100000) / 100000,
    regions: [...s.regions],
    available: true,
    description: "Basic",
  });
  const dropletJson = (d: Droplet) => {
    const size = sizes.find((s) => s.slug === d.record.size)!;
    const status = d.reads > pollsUntilActive ? "active" : "new";
    return {
      id: d.record.id,
      name: d.record.name,
      memory: size.memory,
      vcpus: size.vcpus,
      disk: size.disk,
      locked: false,
      status,
      created_at: d.created,
      features: ["droplet_agent"],
      backup_ids: [],
      snapshot_ids: [],
      volume_ids: [],
      image: {
        id: d.imageId,
        name: d.record.image,
        distribution: d.record.image.split("-")[0],
        slug: d.record.image,
        public: true,
        regions: regions.map((r) => r.slug),
        type: "base",
      },
      size: sizeJson(size),
      size_slug: size.slug,
      // The address appears once the droplet is running.
      networks: {
        v4: status === "active" ? [{ ip_address: d.ipv4, netmask: "255.255.255.0", gateway: d.ipv4.replace(/\d+$/, "1"), type: "public" }] : [],
        v6: [],
      },
      region: regionJson(d.record.region),
      tags: [...d.record.tags],
      vpc_uuid: "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
    };
  };
  const firewallJson = (f: Firewall) => ({ ...f, status: "succeeded", pending_changes: [] });

  /** A page of a list, with the API's `links` and `meta`. */
  const page = (url: URL, name: string, items: unknown[]) => {
    const per = Math.min(Number(url.searchParams.get("per_page") ?? 20) || 20, 200);
    const n = Math.max(Number(url.searchParams.get("page") ?? 1) || 1, 1);
    const last = Math.max(Math.ceil(items.length / per), 1);
    const link = (p: number) => {
      const u = new URL(url.pathname, base);
      u.searchParams.set("page", String(p));
      u.searchParams.set("per_page", String(per));
      return u.toString();
    };
    const pages: Record<string, string> = {};
    if (n > 1) Object.assign(pages, { first: link(1), prev: link(n - 1) });
    if (n < last) Object.assign(pages, { next: link(n + 1), last: link(last) });
    return { [name]: items.slice((n - 1) * per, n * per), links: Object.keys(pages).length > 0 ? { pages } : {}, meta: { total: items.length } };
  };

  const findKey = (ref: string | number) => {
    for (const k of keys.values()) if (k.id === Number(ref) || k.fingerprint === ref) return k;
    return undefined;
  };

  const firewallRules = (rules: any[] | undefined, side: "sources" | "destinations") =>
    (rules ?? []).map((r) => {
      if (!["tcp", "udp", "icmp"].includes(r.protocol)) throw unprocessable(`${r.protocol ?? "(none)"} is not a valid protocol.`);
      if (r.protocol !== "icmp" && !r.ports) throw unprocessable("ports is required for tcp and udp rules.");
      const where = r[side] ?? {};
      for (const id of where.droplet_ids ?? []) if (!droplets.has(id)) throw unprocessable(`Droplet ${id} does not exist.`);
      // The API stores "all" (and an ICMP rule's absent ports) as "0".
      return { protocol: r.protocol, ports: r.ports && r.ports !== "all" ? r.ports : "0", [side]: where };
    });
  const firewallFrom = (body: any, id: string, created: string): Firewall => {
    if (!body?.name) throw unprocessable("name is required.");
    for (const d of body.droplet_ids ?? []) if (!droplets.has(d)) throw unprocessable(`Droplet ${d} does not exist.`);
    if ((body.inbound_rules ?? []).length + (body.outbound_rules ?? []).length === 0) throw unprocessable("At least one rule must be specified.");
    return {
      id,
      name: body.name,
      inbound_rules: firewallRules(body.inbound_rules, "sources"),
      outbound_rules: firewallRules(body.outbound_rules, "destinations"),
      droplet_ids: [...(body.droplet_ids ?? [])],
      tags: [...(body.tags ?? [])],
      created_at: created,
    };
  };

  type Handler = (m: RegExpMatchArray, body: any, url: URL) => Promise<[number, unknown?]> | [number, unknown?];
  const routes: [string, RegExp, Handler][] = [
    [
      "GET",
      /^\/v2\/account$/,
      () => [
        200,
        {
          account: {
            droplet_limit: 25,
            floating_ip_limit: 3,
            volume_limit: 100,
            email: "lab@example.com",
            uuid: "b6fc48a1-da7c-4ad8-8f1f-d5e7bb3e8b7a",
            email_verified: true,
            status: "active",
            status_message: "",
          },
        },
      ],
    ],
    ["GET", /^\/v2\/account\/keys$/, (_m, _b, url) => [200, page(url, "ssh_keys", [...keys.values()])]],
    [
      "POST",
      /^\/v2\/account\/keys$/,
      (_m, body) => {
        const publicKey = String(body?.public_key ?? "").trim();
        if (!/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/.test(publicKey))
          throw unprocessable("Key invalid, key should be of the format `type key [comment]`");
        if (!body?.name) throw unprocessable("Name is required");
        const fingerprint = keyFingerprint(publicKey);
        if (findKey(fingerprint)) throw unprocessable("SSH Key is already in use on your account");
        const key = { id: nextId++, name: String(body.name), fingerprint, public_key: publicKey };
        keys.set(key.id, key);
        return [201, { ssh_key: key }];
      },
    ],
    [
      "GET",
      /^\/v2\/account\/keys\/([^/]+)$/,
      (m) => {
        const key = findKey(decodeURIComponent(m[1]));
        if (!key) throw notFound();
        return [200, { ssh_key: key }];
      },
    ],
    [
      "PUT",
      /^\/v2\/account\/keys\/([^/]+)$/,
      (m, body) => {
        const key = findKey(decodeURIComponent(m[1]));
        if (!key) throw notFound();
        if (body?.name) key.name = String(body.name);
        return [200, { ssh_key: key }];
      },
    ],
    [
      "DELETE",
      /^\/v2\/account\/keys\/([^/]+)$/,
      (m) => {
        const key = findKey(decodeURIComponent(m[1]));
        if (!key) throw notFound();
        keys.delete(key.id);
        return [204];
      },
    ],
    ["GET", /^\/v2\/sizes$/, (_m, _b, url) => [200, page(url, "sizes", sizes.map(sizeJson))]],
    [
      "GET",
      /^\/v2\/regions$/,
      (_m, _b, url) => [
        200,
        page(
          url,
          "regions",
          regions.map((r) => regionJson(r.slug)),
        ),
      ],
    ],
    [
      "POST",
      /^\/v2\/droplets$/,
      async (_m, body) => {
        if (!body?.name) throw unprocessable("Name is required");
        if (!regions.some((r) => r.slug === body.region)) throw unprocessable("You specified an invalid region for Droplet creation.");
        const size = sizes.find((s) => s.slug === body.size);
        if (!size) throw unprocessable("You specified an invalid size for Droplet creation.");
        if (!size.regions.includes(body.region)) throw unprocessable("Size is not available in this region.");
        const image = String(body.image ?? "");
        if (!images.includes(image)) throw unprocessable("You specified an invalid image for Droplet creation.");
        const authorizedKeys = (body.ssh_keys ?? []).map((ref: string | number) => {
          const key = findKey(ref);
          if (!key) throw unprocessable(`SSH key ${ref} could not be found.`);
          return key.public_key;
        });
        const record: FakeDroplet = {
          id: nextId++,
          name: String(body.name),
          region: body.region,
          size: size.slug,
          image,
          tags: [...(body.tags ?? [])],
          userData: String(body.user_data ?? ""),
          authorizedKeys,
        };
        const given = await options.onDropletCreated?.(record);
        const d: Droplet = {
          record,
          reads: 0,
          ipv4: given?.ipv4Address ?? `192.0.2.${10 + (record.id % 200)}`,
          created: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          imageId: 1000000 + images.indexOf(image),
        };
        droplets.set(record.id, d);
        return [202, { droplet: dropletJson(d), links: { actions: [{ id: nextId++, rel: "create", href: `${base}/v2/actions/${nextId - 1}` }] } }];
      },
    ],
    [
      "GET",
      /^\/v2\/droplets\/(\d+)$/,
      (m) => {
        const d = droplets.get(Number(m[1]));
        if (!d) throw notFound();
        d.reads++;
        return [200, { droplet: dropletJson(d) }];
      },
    ],
    [
      "DELETE",
      /^\/v2\/droplets\/(\d+)$/,
      async (m) => {
        const id = Number(m[1]);
        const d = droplets.get(id);
        if (!d) throw notFound();
        await options.onDropletDeleted?.(d.record);
        droplets.delete(id);
        // As the API does: a deleted droplet leaves the firewalls that named it.
        for (const f of firewalls.values()) f.droplet_ids = f.droplet_ids.filter((x) => x !== id);
        return [204];
      },
    ],
    [
      "POST",
      /^\/v2\/firewalls$/,
      (_m, body) => {
        const f = firewallFrom(body, randomUUID(), new Date().toISOString().replace(/\.\d+Z$/, "Z"));
        firewalls.set(f.id, f);
        return [202, { firewall: firewallJson(f) }];
      },
    ],
    [
      "GET",
      /^\/v2\/firewalls\/([0-9a-f-]+)$/,
      (m) => {
        const f = firewalls.get(m[1]);
        if (!f) throw notFound();
        return [200, { firewall: firewallJson(f) }];
      },
    ],
    [
      "PUT",
      /^\/v2\/firewalls\/([0-9a-f-]+)$/,
      (m, body) => {
        const old = firewalls.get(m[1]);
        if (!old) throw notFound();
        const f = firewallFrom(body, old.id, old.created_at);
        firewalls.set(f.id, f);
        return [200, { firewall: firewallJson(f) }];
      },
    ],
    [
      "DELETE",
      /^\/v2\/firewalls\/([0-9a-f-]+)$/,
      (m) => {
        if (!firewalls.delete(m[1])) throw notFound();
        return [204];
      },
    ],
  ];

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    const reset = Math.floor(Date.now() / 1000) + 60;
    res.setHeader("ratelimit-limit", "5000");
    res.setHeader("ratelimit-remaining", "4999");
    res.setHeader("ratelimit-reset", String(reset));
    res.setHeader("x-request-id", randomUUID());
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const url = new URL(req.url ?? "/", base);
    const method = req.method ?? "GET";
    const record = (status: number) => {
      const call = { method, path: `${url.pathname}${url.search}`, body, status, at };
      calls.push(call);
      return call;
    };
    if (limited > 0) {
      limited--;
      record(429);
      res.setHeader("retry-after", String(retryAfter));
      send(res, 429, { id: "too_many_requests", message: "API Rate limit exceeded." });
      return;
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      record(401);
      send(res, 401, { id: "Unauthorized", message: "Unable to authenticate you" });
      return;
    }
    const route = routes.find(([m, re]) => m === method && re.test(url.pathname));
    if (!route) {
      unserved.push(record(501));
      send(res, 501, { id: "not_implemented", message: `the fake DigitalOcean API does not serve ${method} ${url.pathname}` });
      return;
    }
    try {
      const [status, out] = await route[2](url.pathname.match(route[1])!, body, url);
      record(status);
      send(res, status, out);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, "server_error", String(e));
      record(err.status);
      send(res, err.status, { id: err.id, message: err.message });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  const host = options.listen?.host ?? "127.0.0.1";
  const where = options.listen?.namespace === undefined ? undefined : await listenInNamespace(options.listen.namespace, host, options.listen?.port ?? 0);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (where === undefined) server.listen(options.listen?.port ?? 0, host, resolve);
    else server.listen(where, resolve);
  });
  const { port } = (where?.address() ?? server.address()) as AddressInfo;
  base = `http://${host}:${port}`;

  return {
    url: base,
    calls,
    unserved,
    resources: () => ({
      sshKeys: [...keys.values()].map(({ id, name, fingerprint }) => ({ id, name, fingerprint })),
      droplets: [...droplets.values()].map((d) => d.record),
      firewalls: [...firewalls.values()].map((f) => ({ id: f.id, name: f.name, dropletIds: [...f.droplet_ids] })),
    }),
    rateLimit(count, seconds = 1) {
      limited = count;
      retryAfter = seconds;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A listening socket made inside network namespace `namespace` and handed to this process: a
 * short-lived child enters the namespace (`ip netns exec`), listens, sends the socket back over its
 * IPC channel and closes its own copy (else it would accept connections too, and never answer).
 * The socket stays in the namespace it was made in; only this process holds it.
 */
async function listenInNamespace(namespace: string, host: string, port: number): Promise<Server> {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      namespace,
      process.execPath,
      "-e",
      "const s = require('node:net').createServer(); s.listen(Number(process.argv[2]), process.argv[1], () => process.send('listening', s, () => { s.close(); process.disconnect(); }));",
      host,
      String(port),
    ],
    { stdio: ["ignore", "ignore", "pipe", "ipc"] },
  );
  let log = "";
  child.stderr?.on("data", (d) => (log += d));
  return new Promise<Server>((resolve, reject) => {
    child.once("message", (_message, handle) => resolve(handle as Server));
    child.once("exit", (code) => reject(new Error(`could not listen on ${host}:${port} in namespace ${namespace} (exit ${code}): ${log.trim()}`)));
  });
}
