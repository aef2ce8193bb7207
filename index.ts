// Pulumi entry point: read the stack's lab (its template with the stack's own config over it),
// validate it completely before any resource exists, then build the lab and export what other
// tools consume.

import { existsSync } from "node:fs";
import { availableParallelism, homedir, totalmem } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { exitWithEngine, parentOf } from "./components/provider/engineWatch.js";
import { LabConfigError } from "./model/parse.js";
import { localPath, stateDirOf, stoppedMarker } from "./plan/lab.js";
import { buildLab, parseStack } from "./stacks/index.js";
import { stackLab } from "./stacks/template.js";

// A killed engine must not leave this program spinning: the engine started its language host.
exitWithEngine(parentOf(process.ppid), process.ppid);

const config = new pulumi.Config("labstack");
const stack = pulumi.getStack();
const raw = stackLab(dirname(fileURLToPath(import.meta.url)), stack, config.getObject("lab"));
const hostPrivateKey = config.getSecret("hostPrivateKey");
const facts = {
  hostPrivateKey: hostPrivateKey !== undefined,
  digitaloceanToken: new pulumi.Config("digitalocean").get("token") !== undefined || Boolean(process.env.DIGITALOCEAN_TOKEN),
};
const memory = { ...facts, memoryMiB: Math.floor(totalmem() / 2 ** 20), cores: availableParallelism() };
// The memory and cores a local lab needs are checked against this machine's when it is the one
// that builds it (`up`); a preview may run anywhere (a pull request's runner), where it is only a warning.
const lab = parseStack(raw, pulumi.runtime.isDryRun() ? facts : memory);
if (pulumi.runtime.isDryRun()) {
  try {
    parseStack(raw, memory);
  } catch (e) {
    if (e instanceof LabConfigError) for (const issue of e.issues) pulumi.log.warn(`on this machine \`up\` would refuse: ${issue}`);
  }
}
// A lab `labstack stop` stopped on this machine has its VMs saved to disk: an `up` would wait for
// SSH from none of them. (Not an input of anything: a preview elsewhere is unaffected.)
if (lab.host.kind === "local") {
  const marker = localPath(stoppedMarker(stateDirOf(lab, stack)), homedir());
  const message = `lab ${stack} is stopped (its VMs' state saved to disk): start it with \`npx labstack start ${stack}\``;
  if (existsSync(marker)) {
    if (pulumi.runtime.isDryRun()) pulumi.log.warn(message);
    else throw new Error(message);
  }
}
// The stack outputs: each lab kind exports only what it has (stacks/<kind>/index.ts).
export default buildLab(lab, { stack, hostPrivateKey });
