import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT } from "../../../helpers/labs.js";

const dir = mkdtempSync(join(tmpdir(), "labstack-engine-watch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number) => spawnSync("kill", ["-0", String(pid)]).status === 0;

it("ends a program and its language host once the engine that started them is killed outright (as the lab's program does; its provider plugin watches its own parent alike)", async () => {
  const pids = join(dir, "pids");
  // engine (bash) → language host (bash, not exec'ing: it has more to run) → the program (node).
  const program = `import("${join(ROOT, "components", "provider", "engineWatch.ts")}").then((m) => { m.exitWithEngine(m.parentOf(process.ppid), process.ppid, 200); require("node:fs").writeFileSync("${pids}", process.pid + " " + process.ppid); setInterval(() => {}, 1000); })`;
  const languageHost = `node --import tsx -e '${program}'; sleep 300`;
  const engine = spawn("bash", ["-c", `bash -c "${languageHost.replaceAll('"', '\\"')}" & wait`], { stdio: "ignore" });
  for (let i = 0; i < 200 && !existsSync(pids); i++) await new Promise((r) => setTimeout(r, 100));
  const [node, host] = readFileSync(pids, "utf8").split(" ").map(Number);
  expect(alive(node) && alive(host)).toBe(true);
  // Still running while the engine is.
  await new Promise((r) => setTimeout(r, 600));
  expect(alive(node)).toBe(true);
  engine.kill("SIGKILL");
  for (let i = 0; i < 50 && (alive(node) || alive(host)); i++) await new Promise((r) => setTimeout(r, 100));
  expect(alive(node), "the program").toBe(false);
  expect(alive(host), "its language host").toBe(false);
});
