// host/apt-cache.sh with systemd (the host's one apt-cacher-ng service, shared by its labs), run for
// real from this checkout on a made-up host: its /etc is a folder of the test's (HOST_ROOT), and
// `systemctl` a stand-in that keeps the service's state in files and, when the service (re)starts,
// listens where the labstack configuration says (BindAddress, Port), as apt-cacher-ng would. Labs
// run at the same moment as background processes. A `sync` stand-in slows the one write of each
// lab that makes the race of two unlocked runs certain rather than likely (lib/common.sh `put`
// syncs each file before it replaces the old one).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scriptPath } from "../../../helpers/labs.js";
import { finished } from "../../../helpers/processes.js";

let dir: string;
let root: string;
let state: string;
let bin: string;
let port: number;
const servers: Server[] = [];

/** Where each lab's cache listens: two loopback addresses, as two labs' management networks. */
const ADDRESS = { a: "127.0.0.2", b: "127.0.0.3" } as const;
type Lab = keyof typeof ADDRESS;

function executable(path: string, text: string) {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

async function freePort(): Promise<number> {
  const server = await new Promise<Server>((resolve) =>
    createServer().listen(0, "127.0.0.1", function (this: Server) {
      resolve(this);
    }),
  );
  const { port: p } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return p;
}

const SYSTEMCTL = `#!/bin/bash
# systemctl for the apt-cacher-ng unit: enabled/active are files; the service is a process that
# listens on the labstack configuration's addresses and port (none without the drop-in: Debian's
# own configuration, which the test does not need to serve).
st=$SYSTEMCTL_STATE
echo "$*" >> "$st/calls"
args=()
for a in "$@"; do [[ "$a" == --quiet ]] || args+=("$a"); done
stop() {
  if [[ -f "$st/pid" ]]; then
    kill "$(cat "$st/pid")" 2>/dev/null || true
    while kill -0 "$(cat "$st/pid")" 2>/dev/null; do sleep 0.05; done
    rm -f "$st/pid"
  fi
}
start() {
  local dropin=$HOST_ROOT/etc/systemd/system/apt-cacher-ng.service.d/labstack.conf conf
  conf=$(sed -n 's/^ExecStart=.* -c \\([^ ]*\\) .*/\\1/p' "$dropin" 2>/dev/null)
  [[ -n "$conf" ]] || return 0
  local p binds
  p=$(sed -n 's/^Port: //p' "$conf/acng.conf")
  binds=$(sed -n 's/^BindAddress: //p' "$conf/acng.conf")
  # Started by systemd, not by the caller: it inherits none of the caller's files (locks).
  for fd in /proc/$$/fd/*; do fd=\${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done
  # shellcheck disable=SC2086
  setsid python3 "$st/../service.py" "$p" $binds </dev/null >/dev/null 2>&1 &
  echo $! > "$st/pid"
}
case "\${args[0]}" in
  is-active) [[ -f "$st/active" ]] ;;
  is-enabled) [[ -f "$st/enabled" ]] ;;
  daemon-reload) ;;
  enable) touch "$st/enabled" ;;
  disable) rm -f "$st/enabled" ;;
  stop) stop; rm -f "$st/active" ;;
  restart) stop; start; touch "$st/active" ;;
  *) echo "systemctl stand-in: not asked for: $*" >&2; exit 2 ;;
esac
`;

// apt-cacher-ng binds what it can of its BindAddress list.
const SERVICE = `import socket, sys, time
for address in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((address, int(sys.argv[1])))
        s.listen()
    except OSError:
        continue
    globals().setdefault("held", []).append(s)
while True:
    time.sleep(3600)
`;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "labstack-acng-"));
  root = join(dir, "root");
  state = join(dir, "systemd");
  bin = join(dir, "bin");
  for (const d of [join(root, "etc", "apt-cacher-ng"), state, bin]) mkdirSync(d, { recursive: true });
  writeFileSync(join(dir, "service.py"), SERVICE);
  executable(join(bin, "systemctl"), SYSTEMCTL);
  // Not root: sudo runs the command as it is; chown to the service's user is root's (no-op here).
  executable(join(bin, "sudo"), '#!/bin/bash\nwhile [[ "$1" == -* ]]; do shift; done\nexec "$@"\n');
  executable(join(bin, "chown"), '#!/bin/sh\n[ "$(id -u)" = 0 ] && exec /bin/chown "$@"\nexit 0\n');
  // Lab a's configuration and lab b's wishes are slow to reach the disk: without a lock, a is
  // still writing the union it read before b joined when b has written its own.
  const sync = spawnSync("bash", ["-c", "command -v sync"], { encoding: "utf8" }).stdout.trim();
  executable(join(bin, "sync"), `#!/bin/bash\ncase "$LAB:\${2:-}" in\n  a:*/acng.conf.*) sleep 1 ;;\n  b:*/labs/b.*) sleep 0.3 ;;\nesac\nexec ${sync} "$@"\n`);
  port = await freePort();
});
afterEach(() => {
  spawnSync("bash", ["-c", `[ -f "${state}/pid" ] && kill "$(cat "${state}/pid")"`]);
  for (const s of servers.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const params = (lab: Lab, extra: Record<string, string> = {}) => ({
  LAB: lab,
  PORT: String(port),
  BIND_ADDRESS: ADDRESS[lab],
  DISTROS: "debian",
  UPSTREAM_PROXY: "",
  ACNG_MODE: "systemd",
  HOST_ROOT: root,
  SYSTEMCTL_STATE: state,
  ...extra,
});
const environment = (lab: Lab, extra: Record<string, string> = {}) => ({
  ...process.env,
  PATH: `${bin}:${process.env.PATH}`,
  http_proxy: "",
  HTTP_PROXY: "",
  ...params(lab, extra),
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}
/** One run in the background: started now, awaited later. */
function start(lab: Lab, action: string, extra: Record<string, string> = {}): Promise<Result> {
  return finished(spawn("bash", [scriptPath("host/apt-cache.sh"), action], { env: environment(lab, extra) }));
}
const run = (lab: Lab, action: string, extra: Record<string, string> = {}): Result => {
  const r = spawnSync("bash", [scriptPath("host/apt-cache.sh"), action], { env: environment(lab, extra), encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

const conf = () => join(root, "etc", "apt-cacher-ng", "labstack");
const bindAddress = () =>
  readFileSync(join(conf(), "acng.conf"), "utf8")
    .match(/^BindAddress: (.*)$/m)?.[1]
    .split(" ");
const listens = (address: string) => spawnSync("bash", ["-c", `exec 3<>/dev/tcp/${address}/${port}`]).status === 0;
const service = () => ({ enabled: existsSync(join(state, "enabled")), active: existsSync(join(state, "active")) });
/** What a reboot leaves of the service: enabled, not running (it started before the labs' networks). */
function reboot() {
  spawnSync("bash", ["-c", `kill "$(cat "${state}/pid")"; rm -f "${state}/pid" "${state}/active"`]);
  for (let i = 0; i < 50 && (listens(ADDRESS.a) || listens(ADDRESS.b)); i++) spawnSync("sleep", ["0.1"]);
}

describe("host/apt-cache.sh, the host's shared service (systemd stand-in)", { timeout: 120_000 }, () => {
  it("two labs joining at the same moment both end up served, and leaving at the same moment leaves the service as first found", async () => {
    expect(service()).toEqual({ enabled: false, active: false });
    const ups = await Promise.all([start("a", "up"), start("b", "up")]);
    for (const r of ups) expect(r.status, r.stderr).toBe(0);
    // Neither lab's address was lost to the other's write.
    expect(bindAddress()).toEqual([ADDRESS.a, ADDRESS.b]);
    expect(listens(ADDRESS.a) && listens(ADDRESS.b)).toBe(true);
    // The state before the first lab is the one found, not one a lab made.
    expect(readFileSync(join(conf(), "service-before"), "utf8").trim()).toBe("disabled inactive");
    for (const lab of ["a", "b"] as const) expect(run(lab, "status")).toMatchObject({ status: 0, stdout: "" });

    const downs = await Promise.all([start("a", "down"), start("b", "down")]);
    for (const r of downs) expect(r.status, r.stderr).toBe(0);
    expect(service()).toEqual({ enabled: false, active: false });
    expect(existsSync(conf())).toBe(false);
    expect(existsSync(join(root, "etc", "systemd", "system", "apt-cacher-ng.service.d", "labstack.conf"))).toBe(false);
    // Nothing of labstack is left in the package's folder (no lock file either).
    expect(spawnSync("ls", ["-A", join(root, "etc", "apt-cacher-ng")], { encoding: "utf8" }).stdout).toBe("");
    expect(listens(ADDRESS.a) || listens(ADDRESS.b)).toBe(false);
  });

  it("after a reboot, a lab whose wishes did not change starts the service again; one it does not listen for is drift and restarted", () => {
    for (const lab of ["a", "b"] as const) expect(run(lab, "up").status).toBe(0);
    reboot();
    // The service is not running: both labs see it.
    expect(run("b", "status")).toMatchObject({ status: 3, stdout: "the APT cache's service apt-cacher-ng is not running\n" });
    const calls = () => readFileSync(join(state, "calls"), "utf8").split("\n");
    const before = calls().length;
    const b = run("b", "up");
    expect(b.status, b.stderr).toBe(0);
    expect(calls().slice(before - 1)).toContain("restart apt-cacher-ng");
    expect(listens(ADDRESS.b)).toBe(true);

    // The service came back before lab b's network did (it holds only a's address): running, but
    // not for b. Its status says so, and its `up` restarts the service though nothing changed.
    reboot();
    const only = spawn("python3", [join(dir, "service.py"), String(port), ADDRESS.a], { stdio: "ignore" });
    try {
      for (let i = 0; i < 50 && !listens(ADDRESS.a); i++) spawnSync("sleep", ["0.1"]);
      writeFileSync(join(state, "active"), "");
      expect(run("a", "status")).toMatchObject({ status: 0, stdout: "" });
      expect(run("b", "status")).toMatchObject({ status: 3, stdout: `the APT cache's service apt-cacher-ng does not listen on ${ADDRESS.b}:${port}\n` });
      const repair = run("b", "up", { LABSTACK_REPAIR: "1" });
      expect(repair.status, repair.stderr).toBe(0);
      expect(listens(ADDRESS.b)).toBe(true);
      expect(run("b", "status")).toMatchObject({ status: 0, stdout: "" });
    } finally {
      only.kill();
    }
  });

  it("refuses an upstream proxy with a line break before anything is written: no line of its own in the service's configuration", () => {
    expect(run("a", "up").status).toBe(0);
    const was = readFileSync(join(conf(), "acng.conf"), "utf8");
    const r = run("b", "up", { UPSTREAM_PROXY: "http://proxy.example:3128/x\nBindAddress: 0.0.0.0" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("UPSTREAM_PROXY must be an http:// URL without spaces");
    // Its value (a password, maybe) is not repeated.
    expect(r.stderr).not.toContain("proxy.example");
    expect(readFileSync(join(conf(), "acng.conf"), "utf8")).toBe(was);
    expect(existsSync(join(conf(), "labs", "b"))).toBe(false);
    expect(run("b", "up", { BIND_ADDRESS: `${ADDRESS.b}\nForceManaged: 0` }).status).toBe(2);
    expect(readFileSync(join(conf(), "acng.conf"), "utf8")).toBe(was);
  });
});

describe("host/apt-cache.sh, a lab's own instance (without systemd)", () => {
  it("refuses an upstream proxy with a line break: its acng.conf never gets a line of the proxy's", () => {
    const runDir = join(dir, "run");
    const r = spawnSync("bash", [scriptPath("host/apt-cache.sh"), "up"], {
      env: {
        ...process.env,
        LAB: "a",
        PORT: String(port),
        BIND_ADDRESS: "127.0.0.1",
        ACNG_MODE: "daemon",
        RUN_DIR: runDir,
        UPSTREAM_PROXY: "http://proxy.example:3128/\nBindAddress: 0.0.0.0",
      },
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("UPSTREAM_PROXY must be");
    expect(existsSync(join(runDir, "conf", "acng.conf"))).toBe(false);
  });

  it("without its address on the host (the bridge a reboot took), fails at once saying so, and leaves nothing", () => {
    const runDir = join(dir, "run");
    const r = spawnSync("bash", [scriptPath("host/apt-cache.sh"), "up"], {
      env: { ...process.env, LAB: "a", PORT: String(port), BIND_ADDRESS: "198.51.100.77", ACNG_MODE: "daemon", RUN_DIR: runDir },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the APT cache's address 198.51.100.77 is on no interface of this host (its bridge is gone: did the host reboot?)");
    expect(r.stderr).not.toContain("did not start listening");
    expect(existsSync(runDir)).toBe(false);
  });
});
