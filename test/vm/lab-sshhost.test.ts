// The `ssh` lab host kind through the real engine: a namespace this suite makes runs an SSH
// server and is the remote lab host; the engine runs outside it, as on a laptop. net-lab2 on QEMU
// (host-only, one VM: host and VM reach each other): every host script travels over SSH, QEMU runs
// on the remote host, nodes are reached through it as a jump host, the lab's provider reads what
// it made back over SSH (a refresh sees a VM that died on the remote host, and `up --refresh`
// starts it again), and destroy cleans it.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changed, type EngineLab, openEngineLab } from "../helpers/engineLab.js";
import { namespaceLinks } from "../helpers/netns.js";

describe.sequential("a QEMU lab on an ssh lab host, through the engine", () => {
  let lab: EngineLab;

  beforeAll(async () => {
    const onQemu = (raw: Record<string, any>) => {
      raw.hypervisor = { kind: "qemu", accel: "auto" };
      raw.image = { build: { distro: "debian", release: "bookworm" } };
    };
    lab = await openEngineLab("sshhost", "net-lab2", 4, onQemu, { remote: true });
  });
  afterAll(() => lab?.close());

  it("comes up over SSH with QEMU on the remote host, and passes the lab's checks", async () => {
    const before = lab.sshd!.sessions();
    const up = await lab.up();
    expect(up.summary.result).toBe("succeeded");
    // Preflight, prepare, credentials file, image, bridge, VM, then readiness and steps through the host.
    expect(lab.sshd!.sessions() - before).toBeGreaterThanOrEqual(7);
    const pid = readFileSync(join(lab.stateDir, "vms", "boxA", "qemu.pid"), "utf8").trim();
    expect(execFileSync("ip", ["netns", "identify", pid], { encoding: "utf8" }).trim()).toBe(lab.ns.name);
    const checks = (await lab.stack.outputs()).checks.value as Record<string, string>;
    expect(Object.keys(checks).some((c) => c.includes("host-ping"))).toBe(true);
    for (const [name, out] of Object.entries(checks)) expect(out, name).toMatch(/^ok: /m);
    // The laptop's view: the ssh_config output jumps through the host.
    expect((await lab.stack.outputs()).ssh_config.value).toContain("ProxyJump net-lab2-host");
  });

  it("a second up over SSH changes nothing", async () => {
    expect(changed(await lab.up())).toEqual({});
  });

  it("a refresh over SSH of the healthy lab changes nothing; of a VM that died on the remote host, names it, and up --refresh starts it again", async () => {
    const healthy = await lab.refresh();
    expect(Object.keys(healthy.summary.resourceChanges ?? {})).toEqual(["same"]);
    const pidfile = join(lab.stateDir, "vms", "boxA", "qemu.pid");
    const pid = readFileSync(pidfile, "utf8").trim();
    execFileSync("kill", ["-9", pid]);
    // A plain preview knows nothing of it; one that refreshes reads the VM's status on the remote host.
    expect(changed(await lab.preview())).toEqual({});
    const before = lab.sshd!.sessions();
    const preview = await lab.preview({ refresh: true, diff: true });
    expect(lab.sshd!.sessions()).toBeGreaterThan(before);
    expect(Object.keys(changed(preview)).sort()).toEqual(
      ["net-lab2-boxA-machine-vm-health", "net-lab2-boxA-machine-vm", "net-lab2-boxA-ssh", "net-lab2-boxA-ready"].sort(),
    );
    expect(preview.stdout).toContain("boxA's VM is not running");
    const repair = await lab.up({ refresh: true });
    expect(repair.summary.result).toBe("succeeded");
    expect(Object.keys(changed(repair)).sort()).toEqual(Object.keys(changed(preview)).sort());
    const again = readFileSync(pidfile, "utf8").trim();
    expect(again).not.toBe(pid);
    expect(execFileSync("ip", ["netns", "identify", again], { encoding: "utf8" }).trim()).toBe(lab.ns.name);
    expect(changed(await lab.up())).toEqual({});
  });

  it("destroy over SSH leaves nothing on the remote host", async () => {
    await lab.destroy();
    expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
    expect(namespaceLinks(lab.ns)).toEqual([]);
    expect(existsSync(join(lab.stateDir, "vms"))).toBe(false);
  });
});
