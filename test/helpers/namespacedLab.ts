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
import { startSshd, type Sshd } from "./sshd.js";

export interface NamespacedLab {
  readonly lab: QemuLab;
  readonly ns: Namespace;
  readonly stateDir: string;
  /** With `remote`: the namespace's SSH server. */
  readonly sshd?: Sshd;
  close(): Promise<void>;
}

/**
 * `adapt` may change the raw stack config first (the hypervisor, say). With `remote`, the
 * namespace runs an SSH server and the lab treats it as an `ssh` lab host: every host script and
 * node command goes over SSH, as from a laptop to a remote machine.
 */
export async function openNamespacedLab(stack: string, linkIndex: number, adapt: (raw: Record<string, any>) => void = () => undefined, options: { remote?: boolean } = {}): Promise<NamespacedLab> {
  const ns = createNamespace(`lsvm-${stack}`.slice(0, 15), linkIndex);
  const stopCache = startUpstreamCache(ns.uplinkAddress);
  const stateDir = mkdtempSync(join(tmpdir(), `labstack-${stack}-`));
  const sshd = options.remote ? await startSshd(ns, ns.address, join(stateDir, "sshd")) : undefined;
  const raw = namespacedLab(stack, testImage(), join(stateDir, "lab"), ns.uplinkAddress);
  if (sshd !== undefined) raw.host = { kind: "ssh", address: sshd.host.address, port: sshd.host.port, user: sshd.host.user, stateDir: raw.host.stateDir };
  adapt(raw);
  const lab = new QemuLab(parseLab(raw), stack, ns, raw.host.stateDir, await QemuLab.generateCredentials(), sshd?.host);
  return {
    lab,
    ns,
    stateDir: raw.host.stateDir,
    sshd,
    async close() {
      await lab.destroy().catch(() => undefined);
      sshd?.stop();
      stopCache();
      ns.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
