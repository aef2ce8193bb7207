// The dev OpenStack lab through the real engine, inside a namespace this suite makes: `pulumi up`
// from nothing with every check green; a second `up` that does nothing; a one-node change that
// rebuilds that node alone; two faults repaired by the documented verify command; secrets never
// in clear in the backend or the engine's log; and a destroy that leaves nothing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changed, type EngineLab, type EngineRun, filesUnder, openEngineLab } from "../helpers/engineLab.js";
import { namespaceLinks } from "../helpers/netns.js";
import { expectOpenStackChecksGreen } from "../helpers/openstackChecks.js";

describe.sequential("dev OpenStack lab through the engine", () => {
  let lab: EngineLab;
  let first: EngineRun;
  let credentials: Record<string, string>;

  beforeAll(async () => {
    lab = await openEngineLab("openstack", "dev", 1);
  });
  afterAll(() => lab?.close());

  const checksOf = async () => (await lab.stack.outputs()).checks.value as Record<string, Record<string, string>>;
  const ssh = (node: string, command: string) => lab.onNode({ controller: 8222, compute1: 8200, compute2: 8201 }[node]!, command);
  const verify = () => lab.inNamespace(["bash", "scripts/verify.sh", "dev"], lab.env);

  it("comes up from nothing with every check green", async () => {
    const up = await lab.up();
    first = up;
    expect(up.summary.result).toBe("succeeded");
    expectOpenStackChecksGreen(await checksOf());
    // The learner's credentials file and key are private to their owner.
    for (const f of ["credentials.yaml", "lab-key"]) expect(statSync(join(lab.credentialsDir, f)).mode & 0o777).toBe(0o600);
    credentials = (await lab.stack.outputs()).credentials.value;
    expect(credentials.mariadbRootPassword).toMatch(/^[A-Za-z0-9]{24}$/);
  });

  it("a second up changes nothing and runs no command", async () => {
    const again = await lab.up();
    expect(Object.keys(again.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect(changed(again)).toEqual({});
    console.log(JSON.stringify({ figure: "noop_up", value: Math.round(again.seconds * 10) / 10, unit: "s" }));
  });

  it("a memory change on compute2 rebuilds compute2 alone", async () => {
    lab.raw.nodes[2].memoryMiB += 256;
    lab.writeConfig();
    const preview = await lab.preview();
    const ops = changed(preview);
    const others = Object.keys(ops).filter((n) => !n.startsWith("dev-compute2"));
    // The host preflight sees the new memory sum; nothing else outside compute2 changes.
    expect(others).toEqual(["dev-preflight-run"]);
    expect(ops["dev-preflight-run"]).toBe("update");
    expect(ops["dev-compute2-machine-vm"]).toBe("replace");
    expect(ops["dev-compute2-ready"]).toBe("replace");
    expect(ops["dev-compute2-base-run"]).toBe("replace");
    expect(ops["dev-compute2-chrony-client-run"]).toBe("replace");
    const up = await lab.up();
    expect(up.summary.result).toBe("succeeded");
    const checks = await checksOf();
    expect(checks.compute2.chrony).toMatch(/^\^\* controller /m);
    expect(checks.compute2.memcached).toContain("stored and returned labstack-check-compute2");
  });

  it("verify repairs a service stopped by hand, and says what it repaired", async () => {
    expect(ssh("controller", "sudo systemctl stop memcached").status).toBe(0);
    // The engine cannot see the drift: a plain up still does nothing.
    expect(changed(await lab.up())).toEqual({});
    const repaired = verify();
    expect(repaired.status, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(/What verify round 1 of dev repaired:\n[\s\S]*started memcached/);
    expect(ssh("controller", "systemctl is-active memcached").stdout.trim()).toBe("active");
    expect((await checksOf()).compute1.memcached).toContain("stored and returned labstack-check-compute1");
    // The round is kept: the next plain up is a no-op again.
    expect(changed(await lab.up())).toEqual({});
  });

  it("verify restarts a node whose QEMU process died, and the checks pass again", async () => {
    const pidfile = join(lab.stateDir, "vms", "compute1", "qemu.pid");
    const pid = readFileSync(pidfile, "utf8").trim();
    execFileSync("kill", ["-9", pid]);
    const repaired = verify();
    expect(repaired.status, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(/started compute1/);
    expect(readFileSync(pidfile, "utf8").trim()).not.toBe(pid);
    const checks = await checksOf();
    expect(checks.compute1.chrony).toMatch(/^\^\* controller /m);
    expect(checks.compute1["rabbitmq-login"]).toContain("AMQP login as openstack to controller:5672");
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
    // program the decrypted value of every secret output (seen: the credentials command's
    // stdout), as `stack output --show-secrets` would; nothing of ours keeps it.
    const texts: [string, string][] = [
      ["exported stack", exported],
      ["engine output of up", first.output],
    ];
    for (const f of filesUnder(lab.backendDir)) texts.push([f, readFileSync(f, "utf8")]);
    for (const [where, text] of texts) for (const [name, value] of secrets) expect(text.includes(value), `${where} holds ${name} in clear`).toBe(false);
  });

  it("destroy leaves no VM, tap, bridge, state folder, credentials file or cache daemon", async () => {
    await lab.destroy();
    expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
    expect(namespaceLinks(lab.ns)).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
    expect(existsSync(join(lab.credentialsDir, "credentials.yaml"))).toBe(false);
    const state = await lab.stack.exportStack();
    expect(state.deployment.resources ?? []).toEqual([]);
  });
});
