// Several labs on one lab host at once, through the real engine: the OpenStack lab and two
// networking labs (one image between them) brought up at the same moment in one namespace, their
// `up`s overlapping; one destroyed while the others stay green; then an `up` killed with SIGKILL
// half-way through its creates, finished by the next `up` (after `labstack unlock` takes the killed
// engine's lock and repairs the state file it may have cut short), and a destroy of everything
// that leaves nothing.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changed, type EngineLab, type EngineSuite, openEngineSuite } from "../helpers/engineLab.js";
import { namespaceLinks } from "../helpers/netns.js";
import { onQemu } from "../helpers/networkSuite.js";
import { killGroup } from "../helpers/processes.js";

const SUITE = "many";
const LINK = 10;

let suite: EngineSuite;
let dev: EngineLab;
let lab5: EngineLab;
let lab8: EngineLab;

/** Forward ports of a networking lab moved by `by`: every networking stack forwards 2222/2200/2201. */
const movePorts = (raw: Record<string, any>, by: number) => {
  for (const node of raw.nodes) for (const nic of node.nics) if (nic.sshPort !== undefined) nic.sshPort += by;
};

/** The lab's processes (QEMU, its APT cache): found by its state folder on their command lines. */
const processesOf = (lab: EngineLab) =>
  spawnSync("pgrep", ["-af", lab.stateDir], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => l !== "" && !l.includes("pgrep"));

const qemuOf = (lab: EngineLab) => processesOf(lab).filter((l) => l.includes("qemu-system"));

/** Every check of the lab, run again without the engine (`labstack check`). */
function expectGreen(lab: EngineLab): void {
  const r = lab.cli("check", lab.stack.name);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/every check green \(\d+\)/);
}

beforeAll(async () => {
  suite = await openEngineSuite(SUITE, LINK);
  dev = await suite.lab("dev");
  lab5 = await suite.lab("net-lab5", (raw) => {
    onQemu(raw);
    movePorts(raw, 100);
  });
  lab8 = await suite.lab("net-lab8", (raw) => {
    onQemu(raw);
    movePorts(raw, 200);
  });
});
afterAll(() => suite?.close());

describe("an OpenStack lab and two networking labs on one host", () => {
  it("brought up at the same moment, all come up green", async () => {
    const spans: Record<string, [number, number]> = {};
    const timedUp = async (lab: EngineLab) => {
      const start = performance.now();
      const up = await lab.up();
      spans[lab.stack.name] = [start, performance.now()];
      return up;
    };
    const ups = await Promise.all([dev, lab5, lab8].map(timedUp));
    for (const up of ups) expect(up.summary.result).toBe("succeeded");
    // The ups overlapped: each began before any of the others ended.
    const firstEnd = Math.min(...Object.values(spans).map(([, end]) => end));
    for (const [name, [start]] of Object.entries(spans)) expect(start, name).toBeLessThan(firstEnd);
    console.log(
      JSON.stringify({
        figure: "many_labs_up",
        value: Math.round((Math.max(...Object.values(spans).map(([, e]) => e)) - Math.min(...Object.values(spans).map(([s]) => s))) / 1000),
        unit: "s",
      }),
    );
    for (const lab of [dev, lab5, lab8]) expectGreen(lab);
  });

  it("destroying one leaves the others green, and nothing of it behind", async () => {
    const before = namespaceLinks(suite.ns);
    await lab5.destroy();
    expect(processesOf(lab5)).toEqual([]);
    expect(existsSync(lab5.stateDir)).toBe(false);
    // Its bridges and taps went; the other labs' stayed.
    const after = namespaceLinks(suite.ns);
    expect(after.length).toBeLessThan(before.length);
    for (const lab of [dev, lab8]) {
      expect(Object.keys((await lab.refresh()).summary.resourceChanges ?? {})).toEqual(["same"]);
      expectGreen(lab);
    }
  });
});

describe("an up killed half-way", () => {
  let killed: ChildProcess | undefined;
  afterAll(() => {
    killGroup(killed?.pid);
  });

  it("is finished by the next up once `labstack unlock` took what the killed run left, with one VM per node", async () => {
    // The learner's own `pulumi up`, in its own process group (a terminal's), with the suite's engine.
    killed = spawn(lab5.pulumi, ["up", "--yes", "--skip-preview", "-s", "net-lab5"], {
      cwd: lab5.projectDir,
      env: { ...process.env, ...lab5.env },
      detached: true,
      stdio: "ignore",
    });
    // Mid-create: the first VM runs, the lab is not finished.
    const vms = join(lab5.stateDir, "vms");
    const deadline = Date.now() + 900_000;
    while (Date.now() < deadline && !(existsSync(vms) && readdirSync(vms).some((n) => existsSync(join(vms, n, "qemu.pid"))))) {
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(qemuOf(lab5).length, "a VM of the killed up started").toBeGreaterThan(0);
    // In the suite's namespace, as every VM of a test must be.
    const inNamespace = (pid: string) => readlinkSync(`/proc/${pid}/ns/net`) === suite.inNamespace(["readlink", "/proc/self/ns/net"]).stdout.trim();
    for (const line of qemuOf(lab5)) expect(inNamespace(line.split(" ")[0]), line).toBe(true);
    // What a second Ctrl-C does: the whole process group, at once.
    process.kill(-killed.pid!, "SIGKILL");
    killed = undefined;
    // The program and its language host (in a process group of their own) end with their engine.
    const program = () => spawnSync("pgrep", ["-f", "cmd/run/index.js .*--stack net-lab5"]).status === 0;
    for (let i = 0; i < 30 && program(); i++) await new Promise((r) => setTimeout(r, 1000));
    expect(program(), "the killed up's program still runs").toBe(false);

    // What the killed run left: its lock, and maybe a state metadata file it was rewriting.
    const refused = await lab5.up().then(
      () => "up succeeded",
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/currently locked|failed to load checkpoint: EOF/);
    const unlock = lab5.cli("unlock", "net-lab5");
    expect(unlock.status, unlock.stdout + unlock.stderr).toBe(0);
    expect(unlock.stdout).toContain("took the lock of the killed run");

    const up = await lab5.up();
    expect(up.summary.result).toBe("succeeded");
    expectGreen(lab5);
    // One QEMU per node: the half-made VMs were taken over, not doubled.
    expect(qemuOf(lab5)).toHaveLength(lab5.raw.nodes.length);
    expect(changed(await lab5.up())).toEqual({});
  });

  it("then destroying every lab leaves no VM, process, bridge, tap or state folder", async () => {
    await Promise.all([dev, lab5, lab8].map((lab) => lab.destroy()));
    for (const lab of [dev, lab5, lab8]) {
      expect(processesOf(lab), lab.stack.name).toEqual([]);
      expect(existsSync(lab.stateDir), lab.stack.name).toBe(false);
    }
    // The namespace has its own uplink left, nothing the labs made.
    expect(namespaceLinks(suite.ns)).toEqual([]);
  });
});
