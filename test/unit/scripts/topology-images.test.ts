// scripts/topology-images.ts: the README's pictures in docs/img are what the script draws from the
// templates now, so a changed template or drawing cannot leave a stale picture behind.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { seedStacks, topologyImages } from "../../../scripts/topology-images.js";
import { ROOT } from "../../helpers/labs.js";

describe("topology images", () => {
  it("draws every seed lab: dev, openstack-lab, each net-lab and minikube", () => {
    const stacks = seedStacks();
    expect(stacks.slice(0, 2)).toEqual(["dev", "minikube"]);
    expect(stacks).toContain("openstack-lab");
    expect(stacks.filter((s) => s.startsWith("net-lab"))).toEqual(Array.from({ length: 10 }, (_, i) => `net-lab${i + 1}`));
    expect(stacks).not.toContain("net-tunnels");
  });

  it.each([...topologyImages()])("%s is committed as the script writes it (npx tsx scripts/topology-images.ts)", (path, svg) => {
    const file = join(ROOT, path);
    expect(existsSync(file), `${path} is missing`).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(svg);
  });
});
