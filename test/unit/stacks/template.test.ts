// stacks/template.ts: the Pulumi.<stack>.yaml files are templates; a stack's own `labstack:lab`
// overrides them key by key, list items by position, null keeping the template's.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { overlay, stackLab, templateLab } from "../../../stacks/template.js";
import { ROOT, stackLab as rawTemplate } from "../../helpers/labs.js";

const scratch = mkdtempSync(join(tmpdir(), "labstack-template-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("templateLab", () => {
  it("reads the labstack:lab of the stack's template", () => {
    expect(templateLab(ROOT, "dev")).toEqual(rawTemplate("dev"));
    expect(templateLab(ROOT, "net-lab8")).toEqual(rawTemplate("net-lab8"));
  });

  it("is nothing for a stack without a template, or a template without the key", () => {
    expect(templateLab(ROOT, "no-such-stack")).toBeUndefined();
    writeFileSync(join(scratch, "Pulumi.empty.yaml"), "");
    writeFileSync(join(scratch, "Pulumi.other.yaml"), "config:\n  aws:region: eu-central-1\n");
    writeFileSync(join(scratch, "Pulumi.none.yaml"), "encryptionsalt: abc\n");
    for (const stack of ["empty", "other", "none"]) expect(templateLab(scratch, stack), stack).toBeUndefined();
  });
});

describe("overlay", () => {
  it("overrides objects key by key, keeping the keys the override does not name", () => {
    expect(overlay({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 4, e: 5 }, f: 6 })).toEqual({ a: 1, b: { c: 2, d: 4, e: 5 }, f: 6 });
  });

  it("overrides lists item by item, by position", () => {
    const base = [
      { name: "controller", memoryMiB: 2048 },
      { name: "compute1", memoryMiB: 1024 },
      { name: "compute2", memoryMiB: 1024 },
    ];
    expect(overlay(base, [null, null, { memoryMiB: 2048 }])).toEqual([
      { name: "controller", memoryMiB: 2048 },
      { name: "compute1", memoryMiB: 1024 },
      { name: "compute2", memoryMiB: 2048 },
    ]);
    // A sparse list (what a --path set of one index may leave) keeps the missing items too.
    const sparse: unknown[] = [];
    sparse[1] = { memoryMiB: 512 };
    expect(overlay(base, sparse)).toEqual([base[0], { name: "compute1", memoryMiB: 512 }, base[2]]);
    // Longer adds items; shorter keeps the template's rest.
    expect(overlay([1, 2], [null, null, 3])).toEqual([1, 2, 3]);
    expect(overlay([1, 2, 3], [9])).toEqual([9, 2, 3]);
  });

  it("keeps the template where the override is null or missing, and takes any other value as it is", () => {
    expect(overlay({ a: 1 }, null)).toEqual({ a: 1 });
    expect(overlay({ a: 1 }, undefined)).toEqual({ a: 1 });
    expect(overlay({ a: 1, b: 2 }, { a: null })).toEqual({ a: 1, b: 2 });
    expect(overlay({ a: { b: 1 } }, { a: "text" })).toEqual({ a: "text" });
    expect(overlay({ a: [1, 2] }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(overlay({ a: true }, { a: false })).toEqual({ a: false });
    expect(overlay({ a: 1 }, { a: 0 })).toEqual({ a: 0 });
    expect(overlay(undefined, { a: 1 })).toEqual({ a: 1 });
  });

  it("leaves both the template and the override as they were", () => {
    const base = { nodes: [{ memoryMiB: 1 }] };
    const own = { nodes: [{ memoryMiB: 2 }] };
    overlay(base, own);
    expect(base).toEqual({ nodes: [{ memoryMiB: 1 }] });
    expect(own).toEqual({ nodes: [{ memoryMiB: 2 }] });
  });
});

describe("stackLab", () => {
  it("is the stack's template with the stack's own config over it", () => {
    // What `pulumi config set --path 'labstack:lab.nodes[2].memoryMiB' 2048` leaves in the stack's config.
    const own = parse("nodes:\n  - null\n  - null\n  - memoryMiB: 2048\nhost:\n  stateDir: /srv/lab\n");
    const lab = stackLab(ROOT, "dev", own) as Record<string, any>;
    const template = rawTemplate("dev");
    expect(lab.nodes.map((n: any) => [n.name, n.memoryMiB])).toEqual([
      ["controller", 2048],
      ["compute1", 1024],
      ["compute2", 2048],
    ]);
    expect(lab.nodes[2].nics).toEqual(template.nodes[2].nics);
    expect(lab.host).toEqual({ kind: "local", stateDir: "/srv/lab" });
    expect({ ...lab, nodes: template.nodes, host: template.host }).toEqual(template);
  });

  it("is the template alone without config of the stack's own, and the stack's own without a template", () => {
    expect(stackLab(ROOT, "minikube", undefined)).toEqual(rawTemplate("minikube"));
    expect(stackLab(ROOT, "my-lab", { kind: "network" })).toEqual({ kind: "network" });
    expect(stackLab(ROOT, "my-lab", undefined)).toBeUndefined();
  });
});
