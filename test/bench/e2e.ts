// Benchmark through the real engine (npm run bench:e2e): one JSON line per figure, in seconds
// unless said otherwise, each with per-resource durations from the engine's events.
//   openstack_up     dev lab `up` from nothing to checks green (image from the cache when baked
//                    before; --cold-bake builds it in an empty cache first)
//   noop_up          a second `up` with no change
//   one_node_change  compute2's memory changed: its rebuild and re-provisioning
//   openstack_reset  `destroy` then `up` of the same lab (the learner's reset)
//   boot_ratio       three nodes booting together vs one alone (a ratio: readiness gates' times)
//   network_lab_<stack>  `up` + checks + `destroy` of each networking lab
// Flags: --no-openstack, --no-network, --cold-bake, --only=<stack>[,<stack>...]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EngineRun, openEngineLab } from "../helpers/engineLab.js";

const args = process.argv.slice(2);
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const round = (n: number) => Math.round(n * 10) / 10;
const emit = (figure: string, value: number, extra: object = {}) =>
  console.log(JSON.stringify({ figure, value: round(value), unit: figure === "boot_ratio" ? "ratio" : "s", ...extra }));

/** The engine's slowest resources in a run, by name, rounded: where the time went. */
function slowest(run: EngineRun, n = 12): Record<string, number> {
  return Object.fromEntries(
    Object.entries(run.durations)
      .filter(([name]) => ["-run", "-vm", "-ssh", "-ready", "-bridge"].some((end) => name.endsWith(end)))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n),
  );
}

/** Seconds from a node's VM to its readiness: the wait for its SSH (its boot) plus the gate (cloud-init). */
const readiness = (run: EngineRun) =>
  Object.fromEntries(
    Object.entries(run.durations)
      .filter(([name]) => name.endsWith("-ssh"))
      .map(([name, seconds]) => [name.slice(0, -4), seconds + (run.durations[`${name.slice(0, -4)}-ready`] ?? 0)]),
  );

async function openstack() {
  const coldCache = args.includes("--cold-bake") ? mkdtempSync(join(tmpdir(), "labstack-bench-images-")) : undefined;
  if (coldCache) process.env.LABSTACK_CACHE = coldCache;
  const lab = await openEngineLab("bench-openstack", "dev", 2);
  try {
    const up = await lab.up();
    // image_step tells a cached image (a second or two) from one built because its key changed.
    emit("openstack_up", up.seconds, {
      bake: coldCache ? "cold" : "cached",
      image_step: up.durations["dev-image-run"],
      slowest: slowest(up),
      ready: readiness(up),
    });
    const noop = await lab.up();
    emit("noop_up", noop.seconds, { changes: noop.summary.resourceChanges });
    lab.raw.nodes[2].memoryMiB += 256;
    lab.writeConfig();
    const change = await lab.up();
    emit("one_node_change", change.seconds, { changes: change.summary.resourceChanges, slowest: slowest(change, 6) });
    const destroy = await lab.destroy();
    const again = await lab.up();
    emit("openstack_reset", destroy.seconds + again.seconds, { destroy: round(destroy.seconds), up: round(again.seconds), slowest: slowest(again) });
    const three = Math.max(...Object.values(readiness(again)));
    await lab.destroy();

    lab.raw.nodes = lab.raw.nodes.slice(0, 1);
    lab.writeConfig();
    const alone = await lab.up();
    const one = Math.max(...Object.values(readiness(alone)));
    emit("boot_ratio", three / one, { three_nodes_ready: three, one_node_ready: one });
  } finally {
    await lab.close();
    if (coldCache) rmSync(coldCache, { recursive: true, force: true });
  }
}

const NETWORK_LABS = ["net-lab1", "net-lab2", "net-lab3", "net-lab4", "net-lab5", "net-lab6", "net-lab7", "net-lab8", "net-lab9", "net-lab10", "net-tunnels"];

async function networkLabs() {
  for (const stack of NETWORK_LABS.filter((s) => only === undefined || only.includes(s))) {
    const lab = await openEngineLab(`bench-${stack.replace(/^net-/, "")}`, stack, 2, (raw) => {
      raw.hypervisor = { kind: "qemu", accel: "auto" };
      raw.image = { build: { distro: "debian", release: "bookworm" } };
    });
    try {
      const up = await lab.up();
      const destroy = await lab.destroy();
      emit(`network_lab_${stack}`, up.seconds + destroy.seconds, { up: round(up.seconds), destroy: round(destroy.seconds), slowest: slowest(up, 6) });
    } finally {
      await lab.close();
    }
  }
}

async function main() {
  if (!args.includes("--no-openstack") && only === undefined) await openstack();
  if (!args.includes("--no-network")) await networkLabs();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
