// A stack's lab ready to run for real: its own network namespace with the CI's APT cache on the
// uplink, a temporary state folder, generated credentials. close() tears everything down, also
// after a failed test (the tests assert a clean destroy separately).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseLab } from "../../components/model/parse.js";
import { startUpstreamCache, testImage } from "./cache.js";
import { namespacedLab } from "./labs.js";
import { createNamespace, type Namespace } from "./netns.js";
import { QemuLab } from "./qemuLab.js";

export interface NamespacedLab {
  readonly lab: QemuLab;
  readonly ns: Namespace;
  readonly stateDir: string;
  close(): Promise<void>;
}

/** `adapt` may change the raw stack config first (the hypervisor, say). */
export async function openNamespacedLab(stack: string, linkIndex: number, adapt: (raw: Record<string, any>) => void = () => undefined): Promise<NamespacedLab> {
  const ns = createNamespace(`lsvm-${stack}`.slice(0, 15), linkIndex);
  const stopCache = startUpstreamCache(ns.uplinkAddress);
  const stateDir = mkdtempSync(join(tmpdir(), `labstack-${stack}-`));
  const raw = namespacedLab(stack, testImage(), stateDir, ns.uplinkAddress);
  adapt(raw);
  const lab = new QemuLab(parseLab(raw), stack, ns, stateDir, await QemuLab.generateCredentials());
  return {
    lab,
    ns,
    stateDir,
    async close() {
      await lab.destroy().catch(() => undefined);
      stopCache();
      ns.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
