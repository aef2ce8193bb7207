// plan/hostKeys.ts: each node's host key, its step (both halves as the step's secrets, never
// plain parameters) and the known_hosts lines ssh_config and the inventory check nodes against.
import { describe, expect, it } from "vitest";
import { hostKeyStep, knownHostsLine, nodeHostKeySecrets, renderKnownHosts } from "../../../plan/hostKeys.js";
import { nodeSummaries } from "../../../plan/outputs.js";
import { generatorProgram, valueNames } from "../../../plan/secrets.js";
import { hasSecrets, nodeStdin, stepEnvironment } from "../../../plan/steps.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

const key = (n: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${n}key labstack node${n}`;

describe("a node's host key", () => {
  it("is one Ed25519 pair a node, named after it, under the names the step asks for", () => {
    const [spec] = nodeHostKeySecrets("controller");
    expect(spec).toEqual({ name: "hostKey", kind: "ssh-key", comment: "labstack controller" });
    expect(valueNames(spec)).toEqual(["hostKeyPrivateKey", "hostKeyPublicKey"]);
    expect(Object.values(hostKeyStep.secrets!).sort()).toEqual(valueNames(spec).sort());
    // Its own generator text per node, stable (Pulumi stores it): the same specs, the same text.
    expect(generatorProgram(nodeHostKeySecrets("controller"))).toBe(generatorProgram(nodeHostKeySecrets("controller")));
    expect(generatorProgram(nodeHostKeySecrets("controller"))).not.toBe(generatorProgram(nodeHostKeySecrets("compute1")));
  });

  it("reaches the node in the step's bundle only: no plain parameter, both halves resolved from the node's pair", () => {
    expect(hostKeyStep.script.path).toBe("node/host-key.sh");
    expect(hostKeyStep.env).toEqual({});
    expect(hasSecrets(hostKeyStep)).toBe(true);
    const pair = { hostKeyPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", hostKeyPublicKey: key(1) };
    expect(stepEnvironment(hostKeyStep, pair)).toEqual({ HOST_KEY: pair.hostKeyPrivateKey, HOST_PUBLIC_KEY: pair.hostKeyPublicKey });
    expect(() => nodeStdin(hostKeyStep)).toThrow("needs credential hostKeyPrivateKey");
  });
});

describe("known_hosts", () => {
  it("names a forwarded port as OpenSSH looks it up, without the key's comment", () => {
    expect(knownHostsLine("127.0.0.1", 8222, `${key(1)}\n`)).toBe("[127.0.0.1]:8222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI1key");
    expect(knownHostsLine("node.example", 22, key(2))).toBe("node.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI2key");
    expect(() => knownHostsLine("127.0.0.1", 22, "ssh-ed25519")).toThrow("not a public key line");
  });

  it("has one line a node, in the lab's order, and nothing while a node's key is missing", () => {
    const nodes = nodeSummaries(labPlan(stackLab("dev")));
    const keys = { controller: key(1), compute1: key(2), compute2: key(3) };
    expect(renderKnownHosts(nodes, keys)).toBe(
      [
        "[127.0.0.1]:8222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI1key",
        "[127.0.0.1]:8200 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI2key",
        "[127.0.0.1]:8201 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI3key",
        "",
      ].join("\n"),
    );
    expect(renderKnownHosts(nodes, { controller: key(1) })).toBe("");
  });
});
