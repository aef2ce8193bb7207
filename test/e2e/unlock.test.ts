// `labstack unlock` on a local state backend after a `pulumi up` killed outright: the killed
// run's lock (its process gone) is taken, an emptied metadata file of the stack's state (what
// Pulumi then reports as "failed to load checkpoint: EOF") is removed, and the stack works again;
// a lock whose process still runs is refused, naming it, and left.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type EngineProject, engineBin, engineOptions, engineProject } from "../helpers/engine.js";
import { stackLab } from "../helpers/labs.js";

let project: EngineProject;
let env: Record<string, string>;
beforeAll(async () => {
  const bin = engineBin();
  project = await engineProject(bin);
  env = { ...process.env, ...(await engineOptions(bin, project.dir)).envVars } as Record<string, string>;
});
afterAll(() => rmSync(project.dir, { recursive: true, force: true }));

const labstack = (...args: string[]) => spawnSync("node", ["cli/labstack.mjs", ...args], { cwd: project.dir, env, encoding: "utf8" });
const pulumi = (...args: string[]) => spawnSync("pulumi", args, { cwd: project.dir, env, encoding: "utf8" });

it("takes a killed run's lock and removes the emptied state metadata, and refuses a lock whose run still goes on", async () => {
  const stack = await project.stack("killed", stackLab("net-lab1"));
  await stack.setConfig("labstack:note", { value: "state written" });
  await stack.refresh();
  const backend = join(project.dir, ".state", ".pulumi");
  const attrs = join(backend, "stacks", "labstack", "killed.json.attrs");
  expect(statSync(attrs).size).toBeGreaterThan(0);
  truncateSync(attrs, 0);
  const locks = join(backend, "locks", "organization", "labstack", "killed");
  mkdirSync(locks, { recursive: true });
  const lock = (pid: number) =>
    writeFileSync(
      join(locks, "6d859155-2159-430c-89d8-237562ef246b.json"),
      JSON.stringify({ pid, username: "root", hostname: hostname(), timestamp: new Date().toISOString() }),
    );
  // A process of this machine that is gone: one that ran and ended.
  const ended = spawnSync("true").pid!;
  lock(ended);
  const broken = pulumi("stack", "export", "-s", "killed");
  expect(broken.status).not.toBe(0);
  expect(broken.stderr).toContain("EOF");

  // A lock whose process still runs is another run's: nothing is taken.
  lock(process.pid);
  const refused = labstack("unlock", "killed");
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toContain(`pulumi (pid ${process.pid}`);
  expect(readdirSync(locks)).toHaveLength(1);
  // An empty metadata file is never valid: it goes in any case.
  expect(refused.stdout).toContain("a killed run left it empty");

  lock(ended);
  const r = labstack("unlock", "killed");
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain(`took the lock of the killed run (pid ${ended})`);
  expect(readdirSync(locks)).toEqual([]);
  const exported = pulumi("stack", "export", "-s", "killed");
  expect(exported.status, exported.stderr).toBe(0);
  expect(labstack("unlock", "killed").stdout).toContain("nothing a killed run left");
});
