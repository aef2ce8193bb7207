// The real engine (`pulumi preview` / `pulumi up` through the Automation API) on a bad lab config:
// the program fails with the key and the problem, and no resource exists afterwards.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineProject, engineBin, engineProject } from "../helpers/engine.js";
import { stackLab } from "../helpers/labs.js";

describe("real Pulumi engine", () => {
  let project: EngineProject;
  beforeAll(async () => {
    project = await engineProject(engineBin());
  });
  afterAll(() => rmSync(project.dir, { recursive: true, force: true }));

  it("preview and up fail on bad config, naming the key, and create nothing", async () => {
    const bad = stackLab("dev");
    bad.nodes[1].nics[1].ip = "10.9.9.9";
    bad.nodes[2].nics[0].sshPort = 8200;
    const stack = await project.stack("bad", bad);
    const preview = await stack.preview().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(preview?.message).toContain("labstack:lab.nodes[1].nics[1].ip: 10.9.9.9 is outside network 'management' (192.168.1.0/24)");
    expect(preview?.message).toContain("labstack:lab.nodes[2].nics[0].sshPort: port 8200 is already forwarded to node 'compute1'");
    const up = await stack.up().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(up?.message).toContain("labstack:lab.nodes[1].nics[1].ip");
    const state = await stack.exportStack();
    const types = (state.deployment.resources ?? []).map((r: { type: string }) => r.type);
    expect(types.filter((t: string) => t !== "pulumi:pulumi:Stack")).toEqual([]);
  });
});
