// provisioning/lib/checks.sh's tcp_exchange, run for real with bash against servers on loopback:
// the memcached and NAT checks read their answers with it.
import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { shellQuote } from "../../../../plan/scripts.js";
import { scriptPath } from "../../../helpers/labs.js";
import { finished, onLoopback } from "../../../helpers/processes.js";

/** A loopback server that does `answer` with each connection's first data. */
async function serve(answer: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.once("data", () => answer(socket)));
  return { server, port: await onLoopback(server) };
}

/** tcp_exchange in bash, asynchronously: the server answers from this same event loop. */
function exchange(port: number, request: string, env: Record<string, string> = {}) {
  const command = `source ${shellQuote(scriptPath("lib/checks.sh"))}; tcp_exchange 127.0.0.1 ${port} ${shellQuote(request)}`;
  return finished(spawn("bash", ["-c", command], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } }));
}

describe("tcp_exchange", () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  const started = async (answer: (socket: Socket) => void) => {
    const { server, port } = await serve(answer);
    servers.push(server);
    return port;
  };

  it("prints a memcached reply up to its last line, without the carriage returns", async () => {
    const port = await started((s) => s.write("VALUE k 0 3\r\nabc\r\nEND\r\n"));
    expect(await exchange(port, "get k\\r\\n")).toEqual({ status: 0, stdout: "VALUE k 0 3\nabc\nEND\n", stderr: "" });
  });

  it("waits for an answer that comes seconds late (a guest resumed a moment ago): more than the 5 s it once allowed", async () => {
    const port = await started((s) => setTimeout(() => s.write("STORED\r\n"), 6000));
    expect(await exchange(port, "set k 0 60 1\\r\\nv\\r\\n")).toEqual({ status: 0, stdout: "STORED\n", stderr: "" });
  }, 20_000);

  it("fails, saying so, when no answer comes in time", async () => {
    const port = await started(() => undefined);
    expect(await exchange(port, "get k\\r\\n", { TCP_ANSWER_SECONDS: "1" })).toEqual({
      status: 1,
      stdout: "",
      stderr: `no answer from 127.0.0.1:${port} within 1 s\n`,
    });
  });

  it.each(["NOT_STORED", "EXISTS", "NOT_FOUND", "SERVER_ERROR out of memory storing object", "CLIENT_ERROR bad data chunk"])(
    "returns memcached's final reply %s at once, for the check to name it (the peer keeps the connection open)",
    async (reply) => {
      const port = await started((s) => s.write(`${reply}\r\n`));
      expect(await exchange(port, "set k 0 60 1\\r\\nv\\r\\n", { TCP_ANSWER_SECONDS: "5" })).toEqual({ status: 0, stdout: `${reply}\n`, stderr: "" });
    },
  );

  it("returns the lines that came when the peer then goes quiet: an answer, not 'no answer'", async () => {
    const port = await started((s) => s.write("VALUE k 0 3\r\n"));
    expect(await exchange(port, "get k\r\n", { TCP_ANSWER_SECONDS: "1" })).toEqual({ status: 0, stdout: "VALUE k 0 3\n", stderr: "" });
  });

  it("reads to the end of an answer the peer closes (HTTP/1.0)", async () => {
    const port = await started((s) => s.end("HTTP/1.0 200 OK\r\n\r\nhello\n"));
    expect(await exchange(port, "GET / HTTP/1.0\\r\\n\\r\\n")).toEqual({ status: 0, stdout: "HTTP/1.0 200 OK\n\nhello\n", stderr: "" });
  });

  it("fails when nothing listens", async () => {
    const { server, port } = await serve(() => undefined);
    await new Promise((r) => server.close(r));
    const r = await exchange(port, "get k\\r\\n");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Connection refused");
  });
});
