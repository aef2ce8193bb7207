// The README's pictures: docs/img/<stack>.svg for each seed lab, drawn from its Pulumi.<stack>.yaml
// template as a stack without config of its own plans it. Run `npx tsx scripts/topology-images.ts`
// after changing a template or the drawing; test/unit/scripts/topology-images.test.ts fails while a
// committed picture differs from what this script makes.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderSvg } from "../plan/topology.js";
import { kindOf, parseStack } from "../stacks/index.js";
import { templateLab } from "../stacks/template.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The posts' labs; the other templates (a droplet's OpenStack, the tunnels lab) vary one of these. */
const SEED = /^Pulumi\.(dev|openstack-lab|net-lab\d+|minikube)\.yaml$/;

/** The seed stacks whose templates are in `root`, net-lab2 before net-lab10. */
export function seedStacks(root = ROOT): string[] {
  return readdirSync(root)
    .filter((f) => SEED.test(f))
    .map((f) => f.slice("Pulumi.".length, -".yaml".length))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** Each picture's path under `root` and its SVG text. */
export function topologyImages(root = ROOT): Map<string, string> {
  return new Map(
    seedStacks(root).map((stack) => {
      const lab = parseStack(templateLab(root, stack));
      return [join("docs", "img", `${stack}.svg`), renderSvg(kindOf(lab.kind)!.topology(lab, stack))];
    }),
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [path, svg] of topologyImages()) {
    mkdirSync(dirname(join(ROOT, path)), { recursive: true });
    writeFileSync(join(ROOT, path), svg);
    console.log(`wrote ${path}`);
  }
}
