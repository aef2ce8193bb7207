// openstack/check-memcached.sh, run for real with bash against a memcached stand-in on loopback:
// a red check names what memcached did, in the check's own words.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { scriptPath } from "../../../helpers/labs.js";
import { finished, onLoopback } from "../../../helpers/processes.js";

/** A memcached stand-in: `set` answers `setReply`, `get` returns what was set, or nothing at all
 * when `getAnswers` is false. */
async function memcached(setReply: string, getAnswers = true): Promise<{ server: Server; port: number }> {
  const stored = new Map<string, string>();
  const server = createServer((socket) => {
    let buffer = "";
    socket.on("data", (d) => {
      buffer += d;
      const set = /^set (\S+) \d+ \d+ \d+\r\n(.*)\r\n$/.exec(buffer);
      const get = /^get (\S+)\r\n$/.exec(buffer);
      if (set) {
        if (setReply === "STORED") stored.set(set[1], set[2]);
        socket.write(`${setReply}\r\n`);
      } else if (get && getAnswers) {
        const value = stored.get(get[1]);
        socket.write(value === undefined ? "END\r\n" : `VALUE ${get[1]} 0 ${value.length}\r\n${value}\r\nEND\r\n`);
      }
    });
  });
  return { server, port: await onLoopback(server) };
}

/** The check against the stand-in on `port`. */
function check(port: number) {
  const env = { MEMCACHED_HOST: "127.0.0.1", MEMCACHED_IP: "127.0.0.1", MEMCACHED_PORT: String(port), NODE: "compute1", TCP_ANSWER_SECONDS: "1" };
  return finished(
    spawn("bash", [scriptPath("openstack/check-memcached.sh")], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    }),
  );
}

describe("openstack/check-memcached.sh", () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  const started = async (setReply: string, getAnswers = true) => {
    const { server, port } = await memcached(setReply, getAnswers);
    servers.push(server);
    return port;
  };

  it("passes when memcached stores the key and returns it", async () => {
    const port = await started("STORED");
    const r = await check(port);
    expect(r).toMatchObject({ status: 0, stderr: "" });
    expect(r.stdout).toBe(`ok: memcached on 127.0.0.1 (127.0.0.1:${port}) stored and returned labstack-check-compute1\n`);
  });

  it("names memcached's refusal of the set, at once", async () => {
    const r = await check(await started("SERVER_ERROR out of memory storing object"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/CHECK FAILED on .*: memcached set labstack-check-compute1 answered 'SERVER_ERROR out of memory storing object'\n$/);
  });

  it("says the get got no answer when memcached goes quiet after the set", async () => {
    const r = await check(await started("STORED", false));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/CHECK FAILED on .*: memcached at 127\.0\.0\.1:\d+ did not answer get labstack-check-compute1\n$/);
  });
});
