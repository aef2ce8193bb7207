// scripts/up.sh, the README's first command, against a stand-in `pulumi` that records how it was
// called: which engine it picks (and which providers it has built for the stack's lab, whose
// config is its Pulumi.<stack>.yaml template with the stack's own config in .labstack/stacks over
// it), when it logs in, how it handles the passphrase, and that it keeps nothing of its own. The
// real engine and VMs are test/vm/first-run.test.ts.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../helpers/labs.js";

const SCRIPT = join(ROOT, "scripts", "up.sh");
const PULUMI_VERSION = JSON.parse(readFileSync(join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;
const COMMAND_VERSION = JSON.parse(readFileSync(join(ROOT, "node_modules/@pulumi/command/package.json"), "utf8")).version;

// Logs each call with the environment the wrapper gives it; `whoami` fails unless told otherwise.
const FAKE_PULUMI = `#!/bin/bash
echo "$0 $* | file=\${PULUMI_CONFIG_PASSPHRASE_FILE-unset} phrase=\${PULUMI_CONFIG_PASSPHRASE-unset} node=\${NODE_OPTIONS-} noplugins=\${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION-} grpc=\${no_grpc_proxy-unset}" >> "$FAKE_LOG"
case "$1" in
  whoami) exit "\${FAKE_WHOAMI_STATUS:-3}" ;;
  stack) [[ "$2" == output ]] && echo "NEXT: ssh controller" ;;
esac
exit 0
`;

let dir: string;
let home: string;
let log: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-up-"));
  home = join(dir, "home");
  log = join(dir, "calls.log");
  mkdirSync(home);
  writeFileSync(log, "");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function executable(path: string, text: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

/** A PATH with the system's tools but neither pulumi nor go (go lives in /usr/local/go/bin here). */
const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

function run(args: string[], env: Record<string, string> = {}, path = `${join(dir, "fakebin")}:${SYSTEM_PATH}`) {
  const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", env: { PATH: path, HOME: home, FAKE_LOG: log, ...env } });
  return { status: r.status, out: r.stdout, err: r.stderr, calls: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

const argsOf = (calls: string[]) => calls.map((c) => c.split(" | ")[0].replace(/^\S+ /, ""));

describe("scripts/up.sh", () => {
  beforeEach(() => executable(join(dir, "fakebin", "pulumi"), FAKE_PULUMI));

  it("logs in locally, creates the stack, brings it up and prints next, with a generated 0600 passphrase", () => {
    const r = run([]);
    expect(r.status, r.err).toBe(0);
    expect(argsOf(r.calls)).toEqual([
      "whoami --non-interactive",
      "login --local",
      "stack select --create --non-interactive dev",
      "up --yes -s dev",
      "stack output next -s dev",
    ]);
    const file = join(home, ".config", "labstack", "passphrase");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, ".config", "labstack")).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, "utf8").trim()).toMatch(/^[A-Za-z0-9+/=]{32}$/);
    expect(r.calls.find((c) => c.includes("up --yes"))).toContain(`file=${file} phrase=unset`);
    expect(r.err).toContain(`generated the secrets passphrase into ${file}`);
    expect(r.out).toContain("NEXT: ssh controller");
    expect(r.out).toContain(`export PULUMI_CONFIG_PASSPHRASE_FILE=${file}`);
  });

  it("a second run reuses the passphrase and changes nothing", () => {
    run(["openstack-lab"]);
    const file = join(home, ".config", "labstack", "passphrase");
    const phrase = readFileSync(file, "utf8");
    writeFileSync(log, "");
    const again = run(["openstack-lab"]);
    expect(again.status, again.err).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(phrase);
    expect(again.err).not.toContain("changed generated");
    expect(argsOf(again.calls)).toContain("up --yes -s openstack-lab");
  });

  it("keeps an existing login: whoami succeeds, or PULUMI_BACKEND_URL names a backend", () => {
    expect(argsOf(run([], { FAKE_WHOAMI_STATUS: "0" }).calls)).not.toContain("login --local");
    writeFileSync(log, "");
    const named = run([], { PULUMI_BACKEND_URL: `file://${dir}` });
    expect(argsOf(named.calls)).not.toContain("login --local");
    expect(argsOf(named.calls)).not.toContain("whoami --non-interactive");
  });

  it("respects PULUMI_CONFIG_PASSPHRASE and PULUMI_CONFIG_PASSPHRASE_FILE, generating nothing", () => {
    const withPhrase = run([], { PULUMI_CONFIG_PASSPHRASE: "" });
    expect(withPhrase.calls.find((c) => c.includes("up --yes"))).toContain("file=unset phrase= ");
    const mine = join(dir, "my-passphrase");
    writeFileSync(mine, "secret\n");
    writeFileSync(log, "");
    const withFile = run([], { PULUMI_CONFIG_PASSPHRASE_FILE: mine });
    expect(withFile.calls.find((c) => c.includes("up --yes"))).toContain(`file=${mine} phrase=unset`);
    expect(withFile.out).not.toContain("export");
    expect(existsSync(join(home, ".config", "labstack"))).toBe(false);
  });

  it("puts the passphrase under XDG_CONFIG_HOME and leaves the mode of a folder it did not make", () => {
    const config = join(dir, "xdg");
    mkdirSync(join(config, "labstack"), { recursive: true, mode: 0o755 });
    chmodSync(join(config, "labstack"), 0o755);
    const r = run([], { XDG_CONFIG_HOME: config });
    expect(r.status, r.err).toBe(0);
    expect(statSync(join(config, "labstack")).mode & 0o777).toBe(0o755);
    expect(statSync(join(config, "labstack", "passphrase")).mode & 0o777).toBe(0o600);
  });

  it("keeps the program's loopback gRPC away from an http_proxy, keeping the user's no_proxy list", () => {
    const r = run([], { http_proxy: "http://10.0.0.1:3128", no_proxy: "mirror.example" });
    expect(r.calls.find((c) => c.includes("up --yes"))).toMatch(/ grpc=mirror\.example,127\.0\.0\.1,localhost$/);
    expect(r.out).toContain("no_grpc_proxy=mirror.example,127.0.0.1,localhost");
    writeFileSync(log, "");
    const already = run([], { https_proxy: "http://10.0.0.1:3128", no_grpc_proxy: "localhost,127.0.0.1" });
    expect(already.calls.find((c) => c.includes("up --yes"))).toMatch(/ grpc=localhost,127\.0\.0\.1$/);
  });

  it("stops at a failing pulumi up without printing next, but with what a later destroy needs", () => {
    executable(join(dir, "fakebin", "pulumi"), FAKE_PULUMI.replace("exit 0\n", '[[ "$1" == up ]] && exit 7\nexit 0\n'));
    const r = run([]);
    expect(r.status).toBe(7);
    expect(argsOf(r.calls)).not.toContain("stack output next -s dev");
    expect(r.out).toContain(`export PULUMI_CONFIG_PASSPHRASE_FILE=${join(home, ".config", "labstack", "passphrase")}`);
  });
});

describe("scripts/up.sh without pulumi on PATH", () => {
  it("installs the CLI with Pulumi's installer at the SDK's version and uses it from ~/.pulumi/bin", () => {
    const installer = executable(
      join(dir, "installer.sh"),
      `#!/bin/sh\necho "installer $*" >> "$FAKE_LOG"\nmkdir -p "$HOME/.pulumi/bin"\ncat > "$HOME/.pulumi/bin/pulumi" <<'EOF'\n${FAKE_PULUMI}EOF\nchmod +x "$HOME/.pulumi/bin/pulumi"\n`,
    );
    const r = run([], { LABSTACK_PULUMI_INSTALLER: `file://${installer}` }, SYSTEM_PATH);
    expect(r.status, r.err).toBe(0);
    expect(r.calls[0]).toBe(`installer --version ${PULUMI_VERSION}`);
    expect(r.calls[1]).toMatch(new RegExp(`^${home}/\\.pulumi/bin/pulumi whoami`));
    // Downloads work on this route: plugins are fetched as usual; the older language hosts' tsx import is harmless.
    expect(r.calls.find((c) => c.includes("up --yes"))).toMatch(/node=--import=tsx noplugins= grpc=unset$/);
    expect(r.out).toContain(`export PATH="${home}/.pulumi/bin:$PATH"`);
    // A later run finds the installed CLI without downloading again.
    writeFileSync(log, "");
    expect(run([], { LABSTACK_PULUMI_INSTALLER: "file:///nonexistent" }, SYSTEM_PATH).status).toBe(0);
  });

  it("builds the engine from Go modules when the installer cannot be downloaded", () => {
    // A cache that already holds the build: ensure-pulumi.sh then only names its folder.
    const cache = join(dir, "cache");
    const bin = join(cache, "pulumi", `v${PULUMI_VERSION}-command-v${COMMAND_VERSION}`, "bin");
    executable(join(bin, "pulumi"), FAKE_PULUMI);
    for (const p of ["pulumi-language-nodejs", "pulumi-resource-command"]) executable(join(bin, p), "#!/bin/sh\n");
    executable(join(dir, "gobin", "go"), "#!/bin/sh\nexit 1\n");
    const r = run(
      [],
      { LABSTACK_PULUMI_INSTALLER: "file:///nonexistent", LABSTACK_CACHE: cache, NODE_OPTIONS: "--max-old-space-size=2048" },
      `${join(dir, "gobin")}:${SYSTEM_PATH}`,
    );
    expect(r.status, r.err).toBe(0);
    expect(r.err).toContain("building the engine from Go modules");
    expect(r.calls.find((c) => c.includes("up --yes"))).toMatch(/node=--max-old-space-size=2048 --import=tsx noplugins=true grpc=unset$/);
    expect(r.out).toContain(`export PATH="${bin}:$PATH" PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true NODE_OPTIONS=--import=tsx`);
  });

  it("asks the engine build for the providers the stack's config needs", () => {
    const cache = join(dir, "cache");
    const bin = join(cache, "pulumi", `v${PULUMI_VERSION}-command-v${COMMAND_VERSION}`, "bin");
    executable(join(bin, "pulumi"), FAKE_PULUMI);
    for (const p of ["pulumi-language-nodejs", "pulumi-resource-command"]) executable(join(bin, p), "#!/bin/sh\n");
    executable(join(dir, "gobin", "go"), "#!/bin/sh\nexit 1\n");
    const env = { LABSTACK_PULUMI_INSTALLER: "file:///nonexistent", LABSTACK_CACHE: cache, PULUMI_DIGITALOCEAN_SOURCE: join(dir, "no-source") };
    const path = `${join(dir, "gobin")}:${SYSTEM_PATH}`;
    // A droplet host needs the DigitalOcean provider, which cannot be built here: up.sh stops, naming it.
    const droplet = run(["openstack-do"], env, path);
    expect(droplet.status).toBe(1);
    expect(droplet.err).toContain(`the Go module proxy refuses the DigitalOcean provider and its source is not at ${join(dir, "no-source")}`);
    expect(droplet.err).toContain("pulumi-resource-digitalocean could not be built");
    expect(droplet.calls.find((c) => c.includes("up --yes"))).toBeUndefined();
    // A local QEMU lab needs neither it nor the Kubernetes provider.
    expect(run(["dev"], env, path).status).toBe(0);
  });

  it("names what is missing when neither the installer nor Go is there", () => {
    const r = run([], { LABSTACK_PULUMI_INSTALLER: "file:///nonexistent" }, SYSTEM_PATH);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(
      /no pulumi on PATH, Pulumi's installer could not be downloaded, and there is no Go .*https:\/\/www\.pulumi\.com\/docs\/install\/.*apt-get install golang-go/,
    );
    expect(r.calls).toEqual([]);
  });
});

describe("scripts/up.sh: the providers an engine built from Go modules gets, from the stack's lab", () => {
  /** A checkout of up.sh beside the repository's templates and node_modules, with an
   * ensure-pulumi.sh stand-in that records what it is asked to build, and `own`, the stack's own
   * config (Pulumi.yaml's stackConfigDir, out of git), when given. */
  function checkout(stack: string, own?: string) {
    const root = join(dir, "checkout");
    mkdirSync(join(root, "scripts"), { recursive: true });
    copyFileSync(SCRIPT, join(root, "scripts", "up.sh"));
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.openstack-do.yaml", "Pulumi.minikube.yaml"]) copyFileSync(join(ROOT, file), join(root, file));
    // up.sh reads the lab through the program's own stacks/template.ts.
    for (const folder of ["node_modules", "stacks"]) symlinkSync(join(ROOT, folder), join(root, folder));
    const bin = join(dir, "built");
    executable(join(bin, "pulumi"), FAKE_PULUMI);
    executable(join(root, "scripts", "ensure-pulumi.sh"), `#!/bin/sh\necho "ensure-pulumi $*" >> "$FAKE_LOG"\necho ${bin}\n`);
    if (own !== undefined) {
      const stackConfigDir = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")).stackConfigDir as string;
      mkdirSync(join(root, stackConfigDir), { recursive: true });
      writeFileSync(join(root, stackConfigDir, `Pulumi.${stack}.yaml`), own);
    }
    executable(join(dir, "gobin", "go"), "#!/bin/sh\nexit 1\n");
    const r = spawnSync("bash", [join(root, "scripts", "up.sh"), stack], {
      encoding: "utf8",
      env: { PATH: `${join(dir, "gobin")}:${SYSTEM_PATH}`, HOME: home, FAKE_LOG: log, LABSTACK_PULUMI_INSTALLER: "file:///nonexistent" },
    });
    const calls = readFileSync(log, "utf8").split("\n").filter(Boolean);
    return { status: r.status, err: r.stderr, ensure: calls.find((c) => c.startsWith("ensure-pulumi"))?.trim() };
  }

  it("asks for what the template's lab needs: nothing more for a local QEMU lab, DigitalOcean for a droplet, Kubernetes for minikube", () => {
    expect(checkout("dev")).toMatchObject({ status: 0, ensure: "ensure-pulumi" });
    writeFileSync(log, "");
    rmSync(join(dir, "checkout"), { recursive: true });
    expect(checkout("openstack-do").ensure).toBe("ensure-pulumi --provider digitalocean");
    writeFileSync(log, "");
    rmSync(join(dir, "checkout"), { recursive: true });
    expect(checkout("minikube").ensure).toBe("ensure-pulumi --provider kubernetes");
  });

  // The program lays the stack's own config (.labstack/stacks) over the template: so does up.sh.
  it("asks for DigitalOcean when the stack's own config moves its lab to a droplet", () => {
    const own =
      "config:\n  labstack:lab:\n    host:\n      kind: digitalocean\n      region: fra1\n      size: s-8vcpu-16gb\n      sshSourceCidrs: [203.0.113.7/32]\n";
    expect(checkout("dev", own).ensure).toBe("ensure-pulumi --provider digitalocean");
  });

  // A stack without a template: its own config is its whole lab.
  it("asks for Kubernetes for a minikube lab that is all the stack's own config", () => {
    const own = "config:\n  labstack:lab:\n    kind: minikube\n";
    expect(checkout("my-minikube", own).ensure).toBe("ensure-pulumi --provider kubernetes");
  });
});
