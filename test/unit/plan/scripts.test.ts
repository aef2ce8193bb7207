// plan/scripts.ts: the one way a script reaches the machine that runs it (a bundle read by
// `bash -s ACTION`), the one encoding of a list for the scripts (records), and quoting. Bundles
// are run here for real with bash.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { bundle, PROVISIONING_DIR, provisioning, records, type Script, shellQuote } from "../../../plan/scripts.js";
import { ROOT } from "../../helpers/labs.js";
import { argvHolding, execveLog, standIns, straceWorks } from "../../helpers/standIns.js";

const scratch = mkdtempSync(join(tmpdir(), "labstack-bundle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Where bundles make their folders (TMPDIR), emptied before each test. */
const bundleTmp = join(scratch, "tmp");
beforeEach(() => {
  rmSync(bundleTmp, { recursive: true, force: true });
  mkdirSync(bundleTmp);
});

/** A script of our own beside a companion it calls, in a root of its own. */
const probeRoot = join(scratch, "root");
mkdirSync(join(probeRoot, "probe"), { recursive: true });
writeFileSync(
  join(probeRoot, "probe/probe.sh"),
  `#!/usr/bin/env bash
set -euo pipefail
# What the bundle gave it, before common.sh adds its own (DEBIAN_FRONTEND).
env -0 | tr '\\0' '\\n' | grep -E '^[A-Za-z_][A-Za-z0-9_]*=' | cut -d= -f1 | sort | sed 's/^/env:/'
[[ -z "\${MARK:-}" ]] || echo "ran \${1:-without an action}" >> "$MARK"
source "$LABSTACK_DIR/lib/common.sh"
echo "action=$1 args=$#"
echo "stdin=[$(cat)]"
echo "files=$(cd "$LABSTACK_DIR" && find . -type f | sort | tr '\\n' ' ')"
echo "functions=$(declare -F record records expand_home upstream_proxy changed put require ensure_packages own_dir default_mirror | tr '\\n' ' ')"
echo "companion=$("$LABSTACK_DIR/probe/helper.sh")"
echo "home=$(expand_home '~/lab')"
exit "\${EXIT:-0}"
`,
);
writeFileSync(join(probeRoot, "probe/helper.sh"), "#!/usr/bin/env bash\necho helped\n");
const probe: Script = { root: probeRoot, path: "probe/probe.sh", companions: ["probe/helper.sh"] };

/** Runs a bundle as a host does: `bash -s ACTION`, the bundle on stdin. */
function run(stdin: string, action = "up", env: Record<string, string> = {}) {
  return spawnSync("bash", ["-s", action], {
    input: stdin,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/home/learner", TMPDIR: bundleTmp, ...env },
  });
}
const lines = (out: string, prefix: string) =>
  out
    .split("\n")
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
const field = (out: string, name: string) => lines(out, `${name}=`)[0];

describe("shellQuote", () => {
  it("quotes any value for bash", () => {
    for (const value of ["plain", "", "it's", "$(rm -rf /)", "a\nb", '`x` "y" \\z', "'''"]) {
      expect(execFileSync("bash", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" })).toBe(value);
    }
  });
});

describe("a bundle", () => {
  it("carries the shared libraries, the script's companions and the script, and nothing else", () => {
    const r = run(bundle(probe, {}));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const libraries = readdirSync(join(PROVISIONING_DIR, "lib"))
      .filter((f) => f.endsWith(".sh"))
      .map((f) => `./lib/${f}`);
    expect(field(r.stdout, "files").trim().split(" ")).toEqual([...libraries, "./probe/helper.sh", "./probe/probe.sh"].sort());
    // common.sh brings the other libraries: records, owned folders, mirrors, node and check helpers.
    expect(field(r.stdout, "functions").trim().split(" ")).toEqual([
      "record",
      "records",
      "expand_home",
      "upstream_proxy",
      "changed",
      "put",
      "require",
      "ensure_packages",
      "own_dir",
      "default_mirror",
    ]);
    // Companions run directly, as from a checkout.
    expect(field(r.stdout, "companion")).toBe("helped");
  });

  it("hands the script its action and its parameters exactly", () => {
    const params = { PLAIN: "x", QUOTED: 'it\'s "quoted"', SUBST: "$(touch /tmp/pwned) `id` $HOME", LINES: "a\nb c\n", EMPTY: "" };
    const script: Script = { root: probeRoot, path: "probe/params.sh" };
    writeFileSync(
      join(probeRoot, "probe/params.sh"),
      ["#!/usr/bin/env bash", 'echo "$1 $#"', `for v in PLAIN QUOTED SUBST LINES EMPTY; do printf "%s=[%s]\\n" "$v" "\${!v}"; done`, ""].join("\n"),
    );
    const r = run(bundle(script, params), "down");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `down 1\n${Object.entries(params)
        .map(([k, v]) => `${k}=[${v}]`)
        .join("\n")}\n`,
    );
  });

  it("runs the script from an empty environment: its parameters, the search path, the home, the locale and the proxies", () => {
    const caller = {
      PULUMI_CONFIG_PASSPHRASE: "secret",
      DIGITALOCEAN_TOKEN: "token",
      LANG: "de_DE.UTF-8",
      LC_ALL: "de_DE.UTF-8",
      http_proxy: "http://proxy.example:3128",
      HTTPS_PROXY: "http://proxy.example:3129",
      no_proxy: "localhost",
    };
    const r = run(bundle(probe, { STACK: "dev" }), "up", caller);
    expect(r.status).toBe(0);
    // PWD, SHLVL and _ are bash's own.
    const names = lines(r.stdout, "env:").filter((n) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(n));
    expect(names).toEqual(["HOME", "HTTPS_PROXY", "LABSTACK_DIR", "LABSTACK_HOME", "LANG", "PATH", "STACK", "http_proxy", "no_proxy"]);
    // Without proxies in the caller's environment, none is made up.
    const bare = run(bundle(probe, {}));
    expect(lines(bare.stdout, "env:").filter((n) => /proxy/i.test(n))).toEqual([]);
  });

  describe("on no command line", () => {
    // What a lab's bundles carry: a service's password, the lab's private key, a proxy with its
    // credentials (the caller's own, inherited, or the lab's as a parameter).
    const secret = `Ns3cretPw-with 'quotes' "and" $(subst) \`ticks\``;
    const proxy = "http://learner:ProxyPa55@proxy.example:3128";
    const secretRoot = join(scratch, "secret-root");
    mkdirSync(join(secretRoot, "probe"), { recursive: true });
    // It hands what it got to a program of its own on stdin, as the scripts do.
    writeFileSync(
      join(secretRoot, "probe/secret.sh"),
      '#!/usr/bin/env bash\nset -euo pipefail\nprintf \'%s\\n%s\\n%s\' "$SECRET" "$UPSTREAM_PROXY" "$http_proxy" | cat > "$OUT"\n',
    );
    const script: Script = { root: secretRoot, path: "probe/secret.sh" };

    it("hands the script its parameters and the caller's proxy, and no program that runs has them in its command line", () => {
      const dir = mkdtempSync(join(scratch, "argv-"));
      const out = join(dir, "out");
      // env above all (`env -i NAME=value ... bash` is how a bundle used to set the environment),
      // and every other program the bundle itself runs.
      const programs = standIns(dir, { env: "real", bash: "real", mktemp: "real", mkdir: "real", chmod: "real", rm: "real", cat: "real" });
      const r = run(bundle(script, { SECRET: secret, UPSTREAM_PROXY: proxy, OUT: out }), "up", { PATH: programs.path, http_proxy: proxy });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(readFileSync(out, "utf8")).toBe(`${secret}\n${proxy}\n${proxy}`);
      const calls = programs.calls();
      // The stand-ins saw the bundle's programs, the script's bash among them.
      expect(calls.some((c) => c.name === "bash" && c.argv.some((a) => a.endsWith("/probe/secret.sh")))).toBe(true);
      expect(argvHolding(calls, "Ns3cretPw")).toEqual([]);
      expect(argvHolding(calls, "ProxyPa55")).toEqual([]);
    });

    it.skipIf(!straceWorks())("not even of a program run by its path: every execve of the run, as strace saw it", () => {
      const dir = mkdtempSync(join(scratch, "strace-"));
      const out = join(dir, "out");
      const traced = execveLog(dir, "bash", ["-s", "up"], {
        input: bundle(script, { SECRET: "Ns3cretPw", UPSTREAM_PROXY: proxy, OUT: out }),
        env: { PATH: process.env.PATH, HOME: "/home/learner", TMPDIR: bundleTmp, http_proxy: proxy },
      });
      expect(traced.status, traced.stderr).toBe(0);
      expect(readFileSync(out, "utf8")).toBe(`Ns3cretPw\n${proxy}\n${proxy}`);
      expect(traced.execs.some((l) => l.includes("/probe/secret.sh"))).toBe(true);
      expect(traced.execs.filter((l) => l.includes("Ns3cretPw") || l.includes("ProxyPa55"))).toEqual([]);
    });
  });

  it("expands ~/ against the home of the user who runs it", () => {
    expect(field(run(bundle(probe, {}), "up", { HOME: "/home/ada" }).stdout, "home")).toBe("/home/ada/lab");
  });

  it("runs the script with stdin closed: what it reads cannot swallow what follows the bundle", () => {
    const r = run(`${bundle(probe, {})}echo after the bundle\n`);
    expect(field(r.stdout, "stdin")).toBe("[]");
    expect(r.stdout.trimEnd().endsWith("after the bundle")).toBe(true);
  });

  it("runs nothing from a connection cut before its last line, however much of it arrived", () => {
    const mark = join(scratch, "mark");
    rmSync(mark, { force: true });
    const text = bundle(probe, { MARK: mark });
    const lastLine = text.lastIndexOf("\n{ labstack_bundle ") + 1;
    for (let cut = 0; cut < lastLine; cut += Math.ceil(lastLine / 40)) run(text.slice(0, cut), "down");
    for (let cut = lastLine - 40; cut <= lastLine; cut++) run(text.slice(0, cut), "down");
    expect(() => readFileSync(mark)).toThrow();
    expect(readdirSync(bundleTmp)).toEqual([]);
    // The whole of it runs the script once, with its action.
    run(text, "down");
    expect(readFileSync(mark, "utf8")).toBe("ran down\n");
  });

  // bash runs a truncated last line at EOF: the call is a group, complete only with its brace.
  it("runs nothing from a connection cut inside its last line either", () => {
    const mark = join(scratch, "mark-last-line");
    rmSync(mark, { force: true });
    const text = bundle(probe, { MARK: mark });
    const lastLine = text.lastIndexOf("\n{ labstack_bundle ") + 1;
    // Short of at least the final newline and one more character.
    for (let cut = lastLine; cut < text.length - 1; cut++) run(text.slice(0, cut), "down");
    expect(() => readFileSync(mark, "utf8")).toThrow();
  });

  it("returns the script's status and leaves no folder behind, whether it failed or not", () => {
    expect(run(bundle(probe, {})).status).toBe(0);
    expect(run(bundle(probe, { EXIT: "3" })).status).toBe(3);
    expect(readdirSync(bundleTmp)).toEqual([]);
  });

  it("depends on the scripts' contents, never on where the checkout lies", () => {
    const vm = provisioning("qemu/vm.sh", ["qemu/accel.sh", "qemu/accel.sh"]);
    const text = bundle(vm, { VM_DIR: "~/.local/share/labstack/dev/vms/a" });
    expect(text.includes(ROOT)).toBe(false);
    expect(text.includes(PROVISIONING_DIR)).toBe(false);
    // The same scripts elsewhere make the same bundle.
    const copy = join(scratch, "elsewhere");
    cpSync(join(PROVISIONING_DIR, "qemu"), join(copy, "qemu"), { recursive: true });
    expect(bundle({ ...vm, root: copy }, { VM_DIR: "~/.local/share/labstack/dev/vms/a" })).toBe(text);
    // A companion listed twice ships once; a changed script is a changed bundle.
    expect(text.split('> "$dir/qemu/accel.sh"')).toHaveLength(2);
    writeFileSync(join(copy, "qemu/accel.sh"), "# changed\n", { flag: "a" });
    expect(bundle({ ...vm, root: copy }, { VM_DIR: "~/.local/share/labstack/dev/vms/a" })).not.toBe(text);
  });

  it("ships a real check with its libraries, which then runs on the host", () => {
    const check = provisioning("network/check-host-ping.sh");
    const r = run(bundle(check, { TARGET: "127.0.0.1", EXPECT: "reach" }));
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("ok: ping 127.0.0.1 from the lab host: reached");
    expect(run(bundle(check, { TARGET: "127.0.0.1", EXPECT: "reach" }), "down").stdout).toBe("");
    expect(readdirSync(bundleTmp)).toEqual([]);
  });
});

describe("records", () => {
  it("encode each item on a line, leaving out undefined fields and joining lists with commas", () => {
    expect(
      records([
        { kind: "nat", mac: "52:54:00:00:00:01", port: 8222 },
        { kind: "tap", tap: undefined, ports: ["a", "b"] },
      ]),
    ).toBe("kind=nat mac=52:54:00:00:00:01 port=8222\nkind=tap ports=a,b");
    expect(records([])).toBe("");
  });

  it("reach bash's record field for field, spaces, percent signs, backslashes, newlines and globs intact", () => {
    const items = [
      { path: "/srv/my lab/disk 1.qcow2", note: "100% \\n not a newline\tand a tab\nand a line", glob: "*" },
      { ports: ["a", "b c"], empty: "", left: undefined },
    ];
    const reader: Script = { root: probeRoot, path: "probe/records.sh" };
    writeFileSync(
      join(probeRoot, "probe/records.sh"),
      `#!/usr/bin/env bash
source "$LABSTACK_DIR/lib/common.sh"
while read -r line; do record "$line"; for k in $(printf '%s\\n' "\${!field[@]}" | sort); do printf '%s=[%s]\\n' "$k" "\${field[$k]}"; done; echo --; done < <(records "$LIST")
`,
    );
    const r = run(bundle(reader, { LIST: `\n${records(items)}\n\n` }));
    expect(r.stdout).toBe(
      ["glob=[*]", "note=[100% \\n not a newline\tand a tab\nand a line]", "path=[/srv/my lab/disk 1.qcow2]", "--", "empty=[]", "ports=[a,b c]", "--", ""].join(
        "\n",
      ),
    );
  });
});
