// provisioning/lib/common.sh, the library every script sources, run for real with bash: the
// upstream proxy a lab's downloads go through, read on the lab host, and `~/` expanded there.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundle, type Script, shellQuote } from "../../../../plan/scripts.js";
import { scriptPath } from "../../../helpers/labs.js";

/** Runs `command` in bash after sourcing common.sh, with exactly `env` (and a PATH). */
function withCommon(command: string, env: Record<string, string> = {}) {
  const r = spawnSync("bash", ["-c", `source ${shellQuote(scriptPath("lib/common.sh"))}; ${command}`], {
    encoding: "utf8",
    // Not a socket on stdin: bash would take itself for a remote shell and read ~/.bashrc.
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
  });
  expect(r.stderr).toBe("");
  return { status: r.status, out: r.stdout };
}
const proxy = (env: Record<string, string>) => withCommon("upstream_proxy", env);

describe("upstream_proxy", () => {
  it("is the lab's own upstream proxy, else the host's http_proxy or HTTP_PROXY", () => {
    expect(proxy({ UPSTREAM_PROXY: "http://mirror.example:3142", http_proxy: "http://proxy.example:3128" })).toEqual({
      status: 0,
      out: "http://mirror.example:3142",
    });
    expect(proxy({ http_proxy: "http://proxy.example:3128", HTTP_PROXY: "http://other.example:3128" }).out).toBe("http://proxy.example:3128");
    expect(proxy({ HTTP_PROXY: "http://other.example:3128" }).out).toBe("http://other.example:3128");
    // An empty UPSTREAM_PROXY (the plan's "none configured") leaves it to the host's.
    expect(proxy({ UPSTREAM_PROXY: "", http_proxy: "http://proxy.example:3128" }).out).toBe("http://proxy.example:3128");
  });

  it("takes a bare host:port as curl and apt do, as an http:// URL", () => {
    expect(proxy({ http_proxy: "10.0.0.1:3128" }).out).toBe("http://10.0.0.1:3128");
    expect(proxy({ http_proxy: "proxy.example:3128" }).out).toBe("http://proxy.example:3128");
  });

  it("is only ever an HTTP proxy, and none is no proxy: both quietly", () => {
    for (const other of ["socks5://10.0.0.1:1080", "https://proxy.example:3128", "HTTP://proxy.example:3128"]) {
      expect(proxy({ http_proxy: other }), other).toEqual({ status: 0, out: "" });
    }
    expect(proxy({})).toEqual({ status: 0, out: "" });
  });

  it("reads the proxy of the host the script runs on: a bundle keeps the caller's, and the lab's wins", () => {
    // A script that sources common.sh and prints what it would fetch through.
    const root = mkdtempSync(join(tmpdir(), "labstack-proxy-"));
    writeFileSync(join(root, "fetch.sh"), '#!/usr/bin/env bash\nsource "$LABSTACK_DIR/lib/common.sh"\nupstream_proxy\n');
    const fetcher: Script = { root, path: "fetch.sh" };
    const probe = (params: Record<string, string>, env: Record<string, string>) =>
      spawnSync("bash", ["-s", "up"], {
        input: bundle(fetcher, params),
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/home/learner", ...env },
      }).stdout;
    expect(probe({}, { http_proxy: "proxy.example:3128" })).toBe("http://proxy.example:3128");
    expect(probe({ UPSTREAM_PROXY: "http://mirror.example:3142" }, { http_proxy: "http://proxy.example:3128" })).toBe("http://mirror.example:3142");
    expect(probe({}, {})).toBe("");
    rmSync(root, { recursive: true });
  });
});

describe("expand_home", () => {
  const expand = (path: string, env: Record<string, string>) => withCommon(`expand_home ${shellQuote(path)}`, env).out;

  it("makes ~/ the home of the user the lab runs as, kept through sudo as LABSTACK_HOME", () => {
    expect(expand("~/labs/dev", { HOME: "/home/ada" })).toBe("/home/ada/labs/dev");
    expect(expand("~/labs/dev", { HOME: "/root", LABSTACK_HOME: "/home/ada" })).toBe("/home/ada/labs/dev");
    expect(expand("~/my lab/a b", { HOME: "/home/ada" })).toBe("/home/ada/my lab/a b");
  });

  it("leaves every other path as it is, never naming a folder called ~", () => {
    for (const path of ["/var/lib/labstack/dev", "~", "~ada/lab", "./~/lab", "lab/~/x", ""]) expect(expand(path, { HOME: "/home/ada" }), path).toBe(path);
  });
});
