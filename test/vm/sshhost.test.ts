// The `ssh` lab host kind for real: a namespace the test creates runs an SSH server and is the
// remote lab host. A QEMU networking lab (host-only, one VM: the host and the VM reach each other)
// is pointed at it; every host script goes over SSH as the SshHost component sends it (stdin
// through `bash -s`), nodes are reached through the host as a jump host, and destroy cleans the
// remote host.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vmDir } from "../../components/plan/host.js";
import { openNamespacedLab, type NamespacedLab } from "../helpers/namespacedLab.js";
import { namespaceLinks } from "../helpers/netns.js";
import { changes, StepFailure } from "../helpers/qemuLab.js";

describe("a QEMU lab on an ssh lab host", () => {
  let run: NamespacedLab;

  beforeAll(async () => {
    run = await openNamespacedLab("net-lab2", 4, (raw) => (raw.hypervisor = { kind: "qemu", accel: "auto" }), { remote: true });
  });
  afterAll(() => run?.close());

  it("comes up over SSH, with QEMU running on the remote host, and passes the lab's checks", async () => {
    const { lab, ns } = run;
    expect(lab.remote).toBeDefined();
    const before = run.sshd!.sessions();
    await lab.up();
    // Preflight, prepare, credentials file, image, one bridge, one VM: each its own SSH session,
    // plus the readiness probes jumping through the host.
    expect(run.sshd!.sessions() - before).toBeGreaterThanOrEqual(7);
    // The VM was started by the remote host's sshd session, so it lives in that host's namespace.
    const pid = execFileSync("cat", [join(vmDir(run.stateDir, lab.lab.nodes[0]), "qemu.pid")], { encoding: "utf8" }).trim();
    expect(execFileSync("ip", ["netns", "identify", pid], { encoding: "utf8" }).trim()).toBe(ns.name);
    await lab.configureNetwork();
    const results = await lab.networkChecks();
    expect(Object.keys(results).length).toBeGreaterThanOrEqual(2);
    for (const [name, r] of Object.entries(results)) expect(r.stdout, name).toMatch(/^ok: /m);
    expect(Object.values(results).some((r) => r.node === "lab host")).toBe(true);
  });

  it("a second run over SSH changes nothing", async () => {
    const again = await run.lab.configureNetwork();
    expect(changes(again.map((r) => r.stdout).join("\n"))).toEqual([]);
  });

  it("refuses a host without enough memory for the nodes before building anything", async () => {
    const failure = await run.lab.hostScript("host/preflight.sh", "up", { MEMORY_MIB: String(1 << 30), HYPERVISOR: "qemu", REQUIRE_KVM: "0", HOST_KIND: "ssh" }).then(() => undefined, (e) => e);
    expect(failure).toBeInstanceOf(StepFailure);
    expect(failure.message).toMatch(/preflight: the lab's VMs need 1073741824 MiB of memory but the ssh host \S+ has \d+ MiB/);
  });

  it("destroy over SSH leaves nothing on the remote host", async () => {
    await run.lab.destroy();
    expect(spawnSync("pgrep", ["-f", run.stateDir]).status).toBe(1);
    expect(namespaceLinks(run.ns)).toEqual([]);
    expect(existsSync(join(run.stateDir, "vms"))).toBe(false);
    expect(existsSync(join(run.stateDir, "apt-cacher-ng"))).toBe(false);
  });
});
