// model/parse.ts: raw config in, a typed lab or one error naming every bad key out.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CONFIG_KEY, formatPath, LabConfigError, parseWith } from "../../../model/parse.js";
import type { LabIssue } from "../../../model/rules.js";
import { configIssues } from "../../helpers/labs.js";

const schema = z.strictObject({ name: z.string(), nodes: z.array(z.strictObject({ port: z.number().int() })) });
const issuesOf = configIssues;

describe("formatPath", () => {
  it("names a key as the learner writes it under labstack:lab", () => {
    expect(CONFIG_KEY).toBe("labstack:lab");
    expect(formatPath([])).toBe("labstack:lab");
    expect(formatPath(["nodes", 1, "nics", 0, "ip"])).toBe("labstack:lab.nodes[1].nics[0].ip");
    expect(formatPath(["host", "sshSourceCidrs", 2])).toBe("labstack:lab.host.sshSourceCidrs[2]");
  });
});

describe("LabConfigError", () => {
  it("lists every issue, one a line", () => {
    const error = new LabConfigError(["labstack:lab.a: bad", "labstack:lab.b: worse"]);
    expect(error.name).toBe("LabConfigError");
    expect(error.message).toBe("invalid stack config:\n  - labstack:lab.a: bad\n  - labstack:lab.b: worse");
    expect(error.issues).toEqual(["labstack:lab.a: bad", "labstack:lab.b: worse"]);
  });
});

describe("parseWith", () => {
  it("says where to set a missing lab", () => {
    for (const raw of [undefined, null]) {
      expect(issuesOf(() => parseWith(schema, () => [], raw))).toEqual(["labstack:lab: is missing; set it in Pulumi.<stack>.yaml"]);
    }
  });

  it("names every key the schema refuses, and runs no rule on a config it refused", () => {
    let ruled = 0;
    const rules = () => {
      ruled++;
      return [];
    };
    const issues = issuesOf(() => parseWith(schema, rules, { name: 5, nodes: [{ port: 1 }, { port: 1.5, extra: true }] }));
    expect(issues).toEqual([
      "labstack:lab.name: Invalid input: expected string, received number",
      "labstack:lab.nodes[1].port: Invalid input: expected int, received number",
      'labstack:lab.nodes[1]: Unrecognized key: "extra"',
    ]);
    expect(ruled).toBe(0);
  });

  it("runs the rules on the parsed config, naming their keys, or another config key they name", () => {
    const rules = (lab: z.infer<typeof schema>): LabIssue[] => [
      ...lab.nodes.flatMap((n, i) => (n.port < 1024 ? [{ path: ["nodes", i, "port"], message: `${n.port} is privileged` }] : [])),
      { path: [], key: "labstack:hostPrivateKey", message: "is required" },
    ];
    expect(issuesOf(() => parseWith(schema, rules, { name: "a", nodes: [{ port: 2222 }, { port: 22 }] }))).toEqual([
      "labstack:lab.nodes[1].port: 22 is privileged",
      "labstack:hostPrivateKey: is required",
    ]);
  });

  it("returns the parsed config when schema and rules agree", () => {
    expect(parseWith(schema, () => [], { name: "a", nodes: [{ port: 2222 }] })).toEqual({ name: "a", nodes: [{ port: 2222 }] });
  });
});
