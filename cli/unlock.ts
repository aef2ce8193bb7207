// After a `pulumi up` killed outright (a second Ctrl-C, a closed terminal, the machine's OOM
// killer): what the killed run left in a local (`file://`) state backend that keeps the next `up`
// from finishing its work. Its lock, which Pulumi leaves for `pulumi cancel`, is taken only when
// the process that holds it is gone from this machine. And the backend's storage writes a blob's
// metadata file (`<stack>.json.attrs`) by truncating it before it writes it again: a run killed
// between the two leaves it empty, and every later command of the stack fails with "failed to
// load checkpoint: EOF" (gocloud.dev's fileblob, setAttrs). A missing metadata file is read as
// the default one, so an empty one is removed. The state itself is never touched.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { processRuns } from "../components/provider/engineWatch.js";
import type { Say } from "./lifecycle.js";
import { PROJECT, passphraseEnvironment } from "./session.js";

/** Files under `dir`, recursively; none when it is not there. */
const filesUnder = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)])) : [];

export async function unlock(stack: string, say: Say): Promise<void> {
  const ws = await LocalWorkspace.create({ workDir: PROJECT, envVars: passphraseEnvironment() });
  const url = (await ws.whoAmI()).url ?? "";
  if (!url.startsWith("file://"))
    throw new Error(
      `the state backend is ${url || "not a local one"}: only a local (file://) backend is repaired here; pulumi cancel -s ${stack} takes a lock there`,
    );
  const root = join(fileURLToPath(url.split("?")[0]), ".pulumi");
  const project = (await ws.projectSettings()).name;
  const emptied = filesUnder(join(root, "stacks", project)).filter((f) => new RegExp(`/${stack}\\.json(\\.bak)?\\.attrs$`).test(f) && statSync(f).size === 0);
  for (const file of emptied) {
    rmSync(file);
    say(`removed ${file}: a killed run left it empty (Pulumi read it as "failed to load checkpoint: EOF")`);
  }
  const locks = filesUnder(join(root, "locks")).filter((f) => f.includes(`/${project}/${stack}/`) && f.endsWith(".json"));
  const holders = locks.map((file) => {
    const lock = JSON.parse(readFileSync(file, "utf8")) as { pid: number; hostname: string; timestamp: string };
    if (lock.hostname !== hostname()) {
      throw new Error(
        `${file}: locked by a run on ${lock.hostname} (pid ${lock.pid}), not this machine: run pulumi cancel -s ${stack} there once it has ended`,
      );
    }
    if (processRuns(lock.pid)) throw new Error(`pulumi (pid ${lock.pid}, since ${lock.timestamp}) still runs on stack ${stack}: wait for it, or end it first`);
    return lock.pid;
  });
  if (holders.length > 0) {
    const selected = await LocalWorkspace.selectStack({ stackName: stack, workDir: PROJECT }, { envVars: passphraseEnvironment() });
    await selected.cancel();
    say(`took the lock of the killed run (pid ${holders.join(", ")})`);
  }
  say(emptied.length + holders.length === 0 ? `stack ${stack}: nothing a killed run left` : `pulumi up -s ${stack} now finishes what the killed run began`);
}
