// Benchmark of the QEMU path (npm run bench:vm): one JSON line per figure.
//   image build cold (fresh cache folder) and warm; time to SSH-ready per node; one node alone vs
//   the three nodes of the dev lab in parallel; first and second provisioning run; then per
//   networking lab: up, devices + checks, destroy.
// Targets (reported, not asserted): three in parallel ≤ 1.5 × one alone; second run ≤ 0.1 × first.
// Flags: --warm-only (skip the cold image build), --no-openstack, --no-network.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseLab } from "../../components/model/parse.js";
import { scriptPath } from "../../components/plan/steps.js";
import { startUpstreamCache, testImage } from "../helpers/cache.js";
import { namespacedLab } from "../helpers/labs.js";
import { createNamespace } from "../helpers/netns.js";
import { QemuLab } from "../helpers/qemuLab.js";

const emit = (figure: string, value: number, unit = "s", extra: object = {}) =>
  console.log(JSON.stringify({ figure, value: Math.round(value * 10) / 10, unit, ...extra }));

function timeIt<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, (performance.now() - t) / 1000];
}

async function bringUp(raw: Record<string, any>, name: string, ns: ReturnType<typeof createNamespace>, credentials: string) {
  const stateDir = mkdtempSync(join(tmpdir(), `labstack-bench-${name}-`));
  const lab = new QemuLab(parseLab({ ...raw, host: { ...raw.host, stateDir }, credentialsDir: join(stateDir, "credentials") }), "bench", ns, stateDir, credentials);
  const t = performance.now();
  const ready = await lab.up();
  return { lab, ready, seconds: (performance.now() - t) / 1000, stateDir };
}

async function main() {
  if (!process.argv.includes("--warm-only")) {
    const cold = mkdtempSync(join(tmpdir(), "labstack-image-cold-"));
    const [, seconds] = timeIt(() => execFileSync("bash", [scriptPath("images/build-debian-image.sh"), cold], { stdio: ["ignore", "ignore", "ignore"] }));
    emit("image_build_cold", seconds);
    rmSync(cold, { recursive: true, force: true });
  }
  const [image, warm] = timeIt(testImage);
  emit("image_build_warm", warm);

  const ns = createNamespace("lsbench", 2);
  const stopCache = startUpstreamCache(ns.uplinkAddress);
  try {
    const credentials = await QemuLab.generateCredentials();
    if (!process.argv.includes("--no-openstack")) await openstack(image, ns, credentials);
    if (!process.argv.includes("--no-network")) await networkLabs(image, ns, credentials);
  } finally {
    stopCache();
    ns.destroy();
  }
}

async function openstack(image: ReturnType<typeof testImage>, ns: ReturnType<typeof createNamespace>, credentials: string) {
  {
    const raw = namespacedLab("dev", image, "/unused", ns.uplinkAddress);

    const single = structuredClone(raw);
    single.nodes = single.nodes.slice(0, 1);
    single.services = { chrony: { server: "controller" } };
    const one = await bringUp(single, "one", ns, credentials);
    emit("bringup_one_node", one.seconds, "s", { ssh_ready: one.ready });
    await one.lab.destroy();
    rmSync(one.stateDir, { recursive: true, force: true });

    const three = await bringUp(raw, "three", ns, credentials);
    emit("bringup_three_nodes_parallel", three.seconds, "s", { ssh_ready: three.ready, ratio_to_one: Math.round((three.seconds / one.seconds) * 100) / 100, target_ratio: 1.5 });
    for (const [node, seconds] of Object.entries(three.ready)) emit(`ssh_ready_${node}`, seconds);

    const t1 = performance.now();
    await three.lab.provision();
    const first = (performance.now() - t1) / 1000;
    emit("provision_first_run", first);
    const t2 = performance.now();
    await three.lab.provision();
    const second = (performance.now() - t2) / 1000;
    emit("provision_second_run", second, "s", { ratio_to_first: Math.round((second / first) * 1000) / 1000, target_ratio: 0.1 });
    const t3 = performance.now();
    await three.lab.checks();
    emit("checks", (performance.now() - t3) / 1000);
    const t4 = performance.now();
    await three.lab.destroy();
    emit("destroy", (performance.now() - t4) / 1000);
    rmSync(three.stateDir, { recursive: true, force: true });
  }
}

const NETWORK_LABS = ["net-lab1", "net-lab2", "net-lab3", "net-lab4", "net-lab5", "net-lab6", "net-lab7", "net-lab8", "net-lab9", "net-lab10", "net-tunnels"];

async function networkLabs(image: ReturnType<typeof testImage>, ns: ReturnType<typeof createNamespace>, credentials: string) {
  for (const stack of NETWORK_LABS) {
    const raw = namespacedLab(stack, image, "/unused", ns.uplinkAddress);
    raw.hypervisor = { kind: "qemu", accel: "auto" };
    const { lab, seconds, stateDir } = await bringUp(raw, stack, ns, credentials);
    const t = performance.now();
    await lab.configureNetwork();
    await lab.networkChecks();
    const checks = (performance.now() - t) / 1000;
    const d = performance.now();
    await lab.destroy();
    rmSync(stateDir, { recursive: true, force: true });
    emit(`${stack}`, seconds + checks + (performance.now() - d) / 1000, "s", { up: Math.round(seconds), devices_and_checks: Math.round(checks), destroy: Math.round((performance.now() - d) / 1000) });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
