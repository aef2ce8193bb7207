// stacks/index.ts: the entry point's parser (any kind of lab, by `kind`, checked against the
// registered hypervisors), the lab kinds' registry, and what a built lab exports.
import { readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { AnyLabConfig } from "../../../model/schema.js";
import type { Topology } from "../../../plan/topology.js";
import { buildLab, parseStack, registerLabKind } from "../../../stacks/index.js";
import type { LabKind } from "../../../stacks/kind.js";
import { BAD_CONFIGS } from "../../helpers/badConfigs.js";
import { configIssues, ROOT, stackLab } from "../../helpers/labs.js";

const STACKS = readdirSync(ROOT).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);

function issuesOf(raw: unknown, facts = {}): string[] {
  return configIssues(() => parseStack(raw, facts));
}

describe("parseStack", () => {
  it("accepts every stack template in the repository, each as its kind", () => {
    expect(STACKS.length).toBeGreaterThanOrEqual(15);
    const kinds = STACKS.map((stack) => [stack, parseStack(stackLab(stack), { memoryMiB: 24 * 1024 }).kind]);
    expect(Object.fromEntries(kinds)).toMatchObject({
      dev: "openstack",
      "openstack-lab": "openstack",
      "openstack-do": "openstack",
      minikube: "minikube",
      "net-lab8": "network",
    });
    expect(kinds.filter(([, kind]) => kind === "network")).toHaveLength(11);
  });

  it.each(BAD_CONFIGS)("fails on %s, naming the key", (_, make, expected) => {
    expect(issuesOf(make())).toContain(expected);
  });

  it("names the kinds it knows when the lab's is none of them", () => {
    expect(issuesOf({ ...stackLab("dev"), kind: "kind" })).toEqual(['labstack:lab.kind: must be one of openstack, network, minikube (got "kind")']);
    const { kind: _, ...noKind } = stackLab("dev");
    expect(issuesOf(noKind)).toEqual(["labstack:lab.kind: must be one of openstack, network, minikube"]);
    expect(issuesOf("dev")).toEqual(["labstack:lab.kind: must be one of openstack, network, minikube"]);
  });

  it("checks the nodes' memory against what the lab host measurably has", () => {
    expect(issuesOf(stackLab("dev"), { memoryMiB: 2048 })).toContain("labstack:lab.nodes: the nodes need 4096 MiB of memory but the lab host has 2048 MiB");
    expect(parseStack(stackLab("dev"), { memoryMiB: 4096 }).kind).toBe("openstack");
  });

  it("reports every problem at once", () => {
    const l = stackLab("dev");
    l.nodes[1].nics[1].ip = "192.168.9.9";
    l.nodes[2].nics[0].sshPort = 8222;
    expect(issuesOf(l)).toEqual([
      "labstack:lab.nodes[1].nics[1].ip: 192.168.9.9 is outside network 'management' (192.168.1.0/24)",
      "labstack:lab.nodes[2].nics[0].sshPort: port 8222 is already forwarded to node 'controller'",
    ]);
  });

  it("asks for the secrets a remote host needs, when it knows they are missing", () => {
    expect(issuesOf({ ...stackLab("dev"), host: { kind: "ssh", address: "lab.example" } }, { hostPrivateKey: false })).toEqual([
      "labstack:hostPrivateKey: is required for an ssh lab host: pulumi config set --secret labstack:hostPrivateKey < ~/.ssh/id_ed25519",
    ]);
    expect(issuesOf(stackLab("openstack-do"), { digitaloceanToken: false })).toEqual([
      "digitalocean:token: is required for a digitalocean lab host: pulumi config set --secret digitalocean:token <token> (or export DIGITALOCEAN_TOKEN)",
    ]);
  });
});

describe("lab kinds", () => {
  interface EchoLab extends AnyLabConfig {
    readonly kind: "echo";
    readonly words: string[];
  }
  const built: unknown[] = [];
  const echo: LabKind<EchoLab> = {
    kind: "echo",
    parse: (raw, context) => ({ ...(raw as EchoLab), hypervisors: context.hypervisors.map((h) => h.kind) }) as EchoLab,
    build: (lab, context) => {
      built.push([lab.words, context.stack]);
      return { description: lab.words.join(" "), next: undefined };
    },
    checks: () => [],
    statuses: () => [],
    topology: (_lab, stack): Topology => ({ name: stack, host: { kind: "echo" }, networks: [], nodes: [] }),
  };

  beforeAll(() => registerLabKind(echo));

  it("are added from elsewhere, parsed and built like the built-in ones", () => {
    const lab = parseStack({ kind: "echo", words: ["hello", "lab"] }, {});
    // A kind is told the registered hypervisors.
    expect(lab).toEqual({ kind: "echo", words: ["hello", "lab"], hypervisors: ["virtualbox", "qemu"] });
    // An output the lab does not have is left out, not exported as undefined.
    expect(buildLab(lab, { stack: "echo-1" })).toEqual({ description: "hello lab" });
    expect(built).toEqual([[["hello", "lab"], "echo-1"]]);
    expect(issuesOf({ kind: "nope" })).toEqual(['labstack:lab.kind: must be one of openstack, network, minikube, echo (got "nope")']);
  });

  it("are registered once", () => {
    expect(() => registerLabKind({ ...echo })).toThrow("lab kind 'echo' is already registered");
    expect(() => registerLabKind({ ...echo, kind: "openstack" })).toThrow("lab kind 'openstack' is already registered");
  });
});
