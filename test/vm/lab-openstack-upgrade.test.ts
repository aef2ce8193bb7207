// The dev OpenStack lab made by the previous release (test/fixtures/release-0.1.tar.gz) through the
// real engine, in a namespace this suite makes, then upgraded to this release: no new credentials,
// no replaced VM (the same QEMU processes), its NICs answering to the posts' names as well; a second
// `up` that runs nothing; the same stack from a moved checkout and another home that plans nothing;
// the pull-request preview script on a clean clone; secrets never in clear in the backend or the
// engine's log; and a destroy that leaves nothing. test/vm/lab-openstack.test.ts lives in a lab of
// this release.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { changed, type EngineLab, type EngineRun, filesUnder, openEngineLab, type StackOps } from "../helpers/engineLab.js";
import { ROOT } from "../helpers/labs.js";
import { namespaceLinks } from "../helpers/netns.js";
import { expectOpenStackChecksGreen } from "../helpers/openstackChecks.js";

const LEGACY_RELEASE = join(ROOT, "test", "fixtures", "release-0.1.tar.gz");
const figure = (name: string, run: { seconds: number }, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ figure: name, value: Math.round(run.seconds * 10) / 10, unit: "s", ...extra }));

describe.sequential("dev OpenStack lab of the previous release, upgraded", () => {
  let lab: EngineLab;
  /** This release's program, on the stack the previous release made. */
  let current: StackOps;
  let first: EngineRun;
  let credentials: Record<string, string>;

  beforeAll(async () => {
    lab = await openEngineLab("openstack-upgrade", "dev", 9, undefined, { legacy: LEGACY_RELEASE });
    current = await lab.at(lab.projectDir);
  });
  afterAll(() => lab?.close());

  const checksOf = async () => (await lab.stack.outputs()).checks.value as Record<string, Record<string, string>>;
  const ports: Record<string, number> = { controller: 8222, compute1: 8200, compute2: 8201 };
  const ssh = (node: string, command: string) => lab.onNode(ports[node], command);
  const qemuPid = (node: string) => readFileSync(join(lab.stateDir, "vms", node, "qemu.pid"), "utf8").trim();

  it("a lab made by the previous release comes up with every check green", async () => {
    const up = await lab.up();
    first = up;
    expect(up.summary.result).toBe("succeeded");
    expectOpenStackChecksGreen(await checksOf());
    credentials = (await lab.stack.outputs()).credentials.value;
    expect(credentials.mariadbRootPassword).toMatch(/^[A-Za-z0-9]{24}$/);
  });

  it("upgrades to this release without new credentials or a replaced VM", async () => {
    const pids = Object.keys(ports).map(qemuPid);
    const preview = await current.preview();
    const planned = changed(preview);
    const replaced = Object.entries(planned).filter(([, op]) => op === "replace" || op === "delete");
    expect(replaced, JSON.stringify(planned, null, 1)).toEqual([]);
    expect(planned["dev-credentials-generate"]).toBeUndefined();
    const up = await current.up();
    expect(up.summary.result).toBe("succeeded");
    expect(Object.values(changed(up)).filter((op) => op === "replace" || op === "delete")).toEqual([]);
    expect(Object.keys(ports).map(qemuPid)).toEqual(pids);
    expect((await current.stack.outputs()).credentials.value).toEqual(credentials);
    expectOpenStackChecksGreen((await current.stack.outputs()).checks.value);
    // The previous release's VMs keep their NICs' names (ens4) and answer to the posts' too, also
    // after a reboot: a udev rule gives the name again when the NIC appears.
    const mgmt = ssh("controller", "ip -br addr show enp0s8");
    expect(mgmt.stdout, mgmt.stderr).toMatch(/^ens4\s+UP\s+192\.168\.1\.11\/24/);
    const again = ssh(
      "controller",
      "sudo ip link property del dev ens4 altname enp0s8 && sudo udevadm trigger --action=add --subsystem-match=net && sudo udevadm settle && ip -br link show enp0s8",
    );
    expect(again.stdout, again.stderr).toMatch(/^ens4\s+UP/);
    // The learner's files are where the previous release put them, still private to their owner.
    for (const f of ["credentials.yaml", "lab-key"]) expect(statSync(join(lab.credentialsDir, f)).mode & 0o777).toBe(0o600);
  });

  it("a second up changes nothing and runs no command", async () => {
    const again = await current.up();
    expect(Object.keys(again.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect(changed(again)).toEqual({});
    figure("noop_up", again);
  });

  it("the same stack from a moved checkout and another home plans nothing and runs nothing", async () => {
    const moved = await lab.at(lab.copyProject("moved"), { HOME: join(lab.stateDir, "..", "another-home") });
    const preview = await moved.preview();
    expect(changed(preview)).toEqual({});
    const up = await moved.up();
    expect(changed(up)).toEqual({});
  });

  it("a pull request's preview, on a clean clone elsewhere: a README change plans nothing, a node's memory that node", async () => {
    const clone = lab.copyProject("pull-request");
    await lab.at(clone);
    const inClone = (command: string) =>
      spawnSync("ip", ["netns", "exec", lab.ns.name, "bash", "-c", command], {
        cwd: clone,
        encoding: "utf8",
        env: {
          ...process.env,
          ...lab.env,
          HOME: join(lab.stateDir, "..", "runner-home"),
          // A runner's commits: no identity in this HOME.
          GIT_AUTHOR_NAME: "ci",
          GIT_AUTHOR_EMAIL: "ci@example.invalid",
          GIT_COMMITTER_NAME: "ci",
          GIT_COMMITTER_EMAIL: "ci@example.invalid",
        },
      });
    const git = (args: string) => inClone(`git ${args}`);
    expect(git("init -q && git add -A && git commit -qm base").status).toBe(0);
    const preview = () => {
      const r = inClone("bash scripts/preview.sh --base HEAD~1");
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    expect(git("commit -qam readme --allow-empty && echo >> README.md && git commit -qam 'README only'").status).toBe(0);
    expect(preview()).toMatch(/^labstack-preview: dev 0$/m);
    const template = join(clone, "Pulumi.dev.yaml");
    const doc = parse(readFileSync(template, "utf8"));
    doc.config["labstack:lab"].nodes.find((n: { name: string }) => n.name === "compute2").memoryMiB += 256;
    writeFileSync(template, stringify(doc));
    expect(git("commit -qam 'compute2 gets more memory'").status).toBe(0);
    const out = preview();
    const planned = [...out.matchAll(/^ {2}(\S+) (\S+)$/gm)].map((m) => [m[2], m[1]]);
    expect(planned.length).toBeGreaterThan(0);
    expect(planned.filter(([name]) => !name.startsWith("dev-compute2") && name !== "dev-preflight-run")).toEqual([]);
    expect(Object.fromEntries(planned)["dev-compute2-machine-vm"]).toBe("replace");
  });

  it("keeps every generated secret out of the backend and the engine's log in clear", async () => {
    // A private key's first lines are the same for every OpenSSH ed25519 key (format header and
    // public half); the lines after them carry the secret.
    const secrets = Object.entries(credentials)
      .filter(([k]) => k !== "sshPublicKey")
      .flatMap(([k, v]) =>
        v.includes("PRIVATE KEY")
          ? v
              .split("\n")
              .slice(2, -2)
              .map((line, i) => [`${k} line ${i + 3}`, line])
          : [[k, v]],
      );
    expect(secrets.length).toBeGreaterThan(5);
    // The CLI's export, as a user runs it: the Automation API's exportStack decrypts for its caller.
    const exportRun = lab.inNamespace(["pulumi", "stack", "export", "-s", "dev"], lab.env);
    expect(exportRun.status, exportRun.stderr).toBe(0);
    const exported = exportRun.stdout;
    expect(exported).toContain('"ciphertext"');
    // Not the Automation API's in-process event stream: since Pulumi 3.206 it hands the calling
    // program the decrypted value of every secret output, as `stack output --show-secrets` would;
    // nothing of ours keeps it.
    const texts: [string, string][] = [
      ["exported stack", exported],
      ["engine output of up", first.output],
    ];
    for (const f of filesUnder(lab.backendDir)) texts.push([f, readFileSync(f, "utf8")]);
    for (const [where, text] of texts) for (const [name, value] of secrets) expect(text.includes(value), `${where} holds ${name} in clear`).toBe(false);
  });

  it("destroy leaves no VM, tap, bridge, checkpoint, state folder, credentials file or cache daemon", async () => {
    await current.destroy();
    expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
    expect(namespaceLinks(lab.ns)).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
    expect(existsSync(join(lab.credentialsDir, "credentials.yaml"))).toBe(false);
    const state = await current.stack.exportStack();
    expect(state.deployment.resources ?? []).toEqual([]);
  });
});
