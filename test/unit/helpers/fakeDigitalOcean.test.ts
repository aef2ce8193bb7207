// The served DigitalOcean API's own contract, the parts the provider's runs do not reach: the
// loud answer to an endpoint it does not serve, pagination, and its error bodies.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeDigitalOcean, keyFingerprint, startFakeDigitalOcean } from "../../helpers/fakeDigitalOcean.js";

let api: FakeDigitalOcean;
let dir: string;
const TOKEN = "dop_v1_unit";

const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
};

function publicKey(name: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(dir, name)]);
  return readFileSync(join(dir, `${name}.pub`), "utf8").trim();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "labstack-fake-do-"));
  api = await startFakeDigitalOcean({ token: TOKEN });
});
afterAll(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the served DigitalOcean API", () => {
  it("listens on loopback only", () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers an endpoint it does not serve with 501 and records it", async () => {
    const r = await call("GET", "/v2/volumes?region=fra1");
    expect(r.status).toBe(501);
    expect(r.json).toEqual({ id: "not_implemented", message: "the fake DigitalOcean API does not serve GET /v2/volumes" });
    expect(api.unserved).toEqual([expect.objectContaining({ method: "GET", path: "/v2/volumes?region=fra1", status: 501 })]);
  });

  it("refuses a wrong token with 401 and the API's error body", async () => {
    const r = await call("GET", "/v2/account", undefined, "dop_v1_wrong");
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ id: "Unauthorized", message: "Unable to authenticate you" });
    expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("pages lists with links and meta", async () => {
    const made = [];
    for (const name of ["a", "b", "c"]) made.push((await call("POST", "/v2/account/keys", { name, public_key: publicKey(name) })).json.ssh_key);
    expect(made.map((k) => k.fingerprint)).toEqual(["a", "b", "c"].map((n) => keyFingerprint(readFileSync(join(dir, `${n}.pub`), "utf8"))));
    const first = await call("GET", "/v2/account/keys?per_page=2");
    expect(first.json.ssh_keys.map((k: { name: string }) => k.name)).toEqual(["a", "b"]);
    expect(first.json.meta).toEqual({ total: 3 });
    expect(first.json.links.pages).toEqual({ next: `${api.url}/v2/account/keys?page=2&per_page=2`, last: `${api.url}/v2/account/keys?page=2&per_page=2` });
    const second = await call("GET", "/v2/account/keys?page=2&per_page=2");
    expect(second.json.ssh_keys.map((k: { name: string }) => k.name)).toEqual(["c"]);
    expect(second.json.links.pages).toEqual({ first: `${api.url}/v2/account/keys?page=1&per_page=2`, prev: `${api.url}/v2/account/keys?page=1&per_page=2` });
    for (const k of made) expect((await call("DELETE", `/v2/account/keys/${k.id}`)).status).toBe(204);
    expect((await call("GET", `/v2/account/keys/${made[0].id}`)).json).toEqual({
      id: "not_found",
      message: "The resource you were accessing could not be found.",
    });
  });

  it("refuses a bad key, an unknown size and a size the region lacks with 422", async () => {
    expect((await call("POST", "/v2/account/keys", { name: "x", public_key: "not a key" })).json).toEqual({
      id: "unprocessable_entity",
      message: "Key invalid, key should be of the format `type key [comment]`",
    });
    const droplet = (size: string, region: string) => call("POST", "/v2/droplets", { name: "d", size, region, image: "ubuntu-24-04-x64" });
    expect(await droplet("s-64vcpu-1tb", "fra1")).toMatchObject({ status: 422, json: { message: "You specified an invalid size for Droplet creation." } });
    expect(await droplet("s-8vcpu-16gb", "ams3")).toMatchObject({ status: 422, json: { message: "Size is not available in this region." } });
    expect(api.resources().droplets).toEqual([]);
  });

  it("rate-limits as told, with Retry-After, then serves again", async () => {
    api.rateLimit(1, 7);
    const limited = await call("GET", "/v2/account");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.json).toEqual({ id: "too_many_requests", message: "API Rate limit exceeded." });
    expect((await call("GET", "/v2/account")).status).toBe(200);
  });
});
