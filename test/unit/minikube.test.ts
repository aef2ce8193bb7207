// The minikube lab under mocks: every Kubernetes resource goes through the cluster's provider,
// the Service type follows the config, the kubeconfig stays secret, addons and tunnel follow the
// config, and bad config fails before anything is created.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { alpineService, minikubeEnvironment, testPod } from "../../plan/minikube.js";
import { buildLab, parseStack } from "../../stacks/index.js";
import { stackLab } from "../helpers/labs.js";
import { installMocks, isSecretEnvelope, promiseOf, recorded, recordingOptions, registrations, reset, secretLeaks, settle, unwrap } from "../helpers/mocks.js";

beforeAll(() => installMocks("minikube"));
beforeEach(reset);

async function build(change: (raw: Record<string, any>) => void = () => undefined) {
  const raw = stackLab("minikube");
  change(raw);
  const outputs = buildLab(parseStack(raw), "minikube", {}, recordingOptions);
  await settle();
  return outputs;
}

const k8sResources = () => registrations.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers"));

describe("minikube lab graph", () => {
  it("creates the posts' workloads as Pulumi resources, all through the minikube provider", async () => {
    await build();
    const provider = registrations.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(
      k8sResources()
        .map((r) => r.type)
        .sort(),
    ).toEqual(["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:core/v1:Pod", "kubernetes:core/v1:Service"]);
    for (const r of k8sResources()) expect(r.opts.provider, r.name).toBe(provider.resource);
    const deployment = recorded.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
    expect(deployment.inputs.metadata.name).toBe("alpine");
    expect(deployment.inputs.spec.replicas).toBe(2);
    expect(deployment.inputs.spec.template.spec.containers).toEqual([{ name: "alpine-ctr", image: "httpd:alpine" }]);
    const claim = recorded.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim")!;
    expect(claim.inputs.spec.resources.requests.storage).toBe("512Mi");
    expect(claim.inputs.spec.storageClassName).toBeUndefined();
    expect(testPod().spec.containers[0].volumeMounts).toEqual([{ name: "test-volume", mountPath: "/test" }]);
  });

  it.each(["NodePort", "LoadBalancer"])("makes alpine-service a %s as configured", async (type) => {
    await build((raw) => (raw.service.type = type));
    const service = recorded.find((r) => r.type === "kubernetes:core/v1:Service")!;
    expect(service.inputs.metadata.name).toBe("alpine-service");
    expect(service.inputs.spec.type).toBe(type);
    expect(service.inputs.spec.ports).toEqual([{ protocol: "TCP", port: 8080, targetPort: 80 }]);
  });

  it("does not wait for a LoadBalancer address that only a tunnel would assign", () => {
    expect(alpineService("LoadBalancer", false).metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    expect(alpineService("LoadBalancer", true).metadata).not.toHaveProperty("annotations");
    expect(alpineService("NodePort", false).metadata).not.toHaveProperty("annotations");
  });

  it("keeps the kubeconfig secret: the provider input, the access command's output and the stack output", async () => {
    const outputs = await build();
    const provider = recorded.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(isSecretEnvelope(provider.inputs.kubeconfig)).toBe(true);
    expect(unwrap(provider.inputs.kubeconfig)).toContain("kubeTokenSecret7");
    expect(provider.inputs.clusterIdentifier).toBe("labstack-minikube");
    // Provider inputs reach the engine as strings.
    expect(String(provider.inputs.deleteUnreachable)).toBe("true");
    expect(await pulumi.isSecret(outputs.kubeconfig as pulumi.Output<string>)).toBe(true);
    expect(secretLeaks(["kubeTokenSecret7", "privateKeySecret6"])).toEqual([]);
    const access = registrations.find((r) => r.name === "minikube-cluster-access-run")!;
    expect((access.opts as pulumi.CustomResourceOptions).additionalSecretOutputs).toEqual(["stdout", "stderr"]);
    expect(recorded.find((r) => r.name === "minikube-cluster-access-run")!.inputs.logging).toBe("none");
    expect(await promiseOf(outputs.urls as pulumi.Output<any>)).toEqual({ nodePort: "http://192.168.59.100:30080/", loadBalancer: undefined });
  });

  it("starts the pinned cluster with the configured driver, memory and CPUs, rebuilding it on any change", async () => {
    await build();
    const start = recorded.find((r) => r.name === "minikube-cluster-start-run")!;
    expect(start.inputs.environment).toMatchObject({
      PROFILE: "labstack-minikube",
      DRIVER: "virtualbox",
      MEMORY_MIB: "2048",
      CPUS: "2",
      KUBERNETES_VERSION: "v1.34.0",
      MINIKUBE_URL: "https://storage.googleapis.com/minikube/releases/v1.37.0/minikube-linux-amd64",
      MINIKUBE_SHA256: "https://storage.googleapis.com/minikube/releases/v1.37.0/minikube-linux-amd64.sha256",
      KUBECTL_SHA256: "https://dl.k8s.io/release/v1.34.0/bin/linux/amd64/kubectl.sha256",
    });
    expect(unwrap(start.inputs.triggers)).toEqual([start.inputs.environment]);
    expect((registrations.find((r) => r.name === "minikube-cluster-start-run")!.opts as pulumi.CustomResourceOptions).deleteBeforeReplace).toBe(true);
    const pinned = parseStack({
      ...stackLab("minikube"),
      minikube: { ...stackLab("minikube").minikube, sha256: "a".repeat(64), driver: "kvm2", memoryMiB: 4096, cpus: 4 },
    });
    expect(minikubeEnvironment(pinned as any, "minikube", "/s")).toMatchObject({
      MINIKUBE_SHA256: "a".repeat(64),
      DRIVER: "kvm2",
      MEMORY_MIB: "4096",
      CPUS: "4",
      BIN_DIR: "/s/bin",
    });
  });

  it("enables the configured addons, each its own resource, and runs the tunnel only when asked", async () => {
    await build();
    expect(recorded.filter((r) => r.name.includes("-addon-") && r.name.endsWith("-run")).map((r) => r.inputs.environment.ADDON)).toEqual([
      "ingress",
      "dashboard",
    ]);
    expect(recorded.some((r) => r.name.includes("tunnel"))).toBe(false);
    reset();
    const outputs = await build((raw) => {
      raw.addons = ["ingress"];
      raw.tunnel = true;
      raw.service.type = "LoadBalancer";
    });
    expect(recorded.filter((r) => r.name.includes("-addon-") && r.name.endsWith("-run")).map((r) => r.inputs.environment.ADDON)).toEqual(["ingress"]);
    expect(recorded.find((r) => r.name === "minikube-cluster-tunnel-run")!.inputs.create).toContain("host/minikube-tunnel.sh");
    expect(outputs.dashboard).toBeUndefined();
  });

  it("runs the learner's checks after the workloads", async () => {
    await build();
    const check = registrations.find((r) => r.name === "minikube-check-workloads")!;
    const workloads = registrations.find((r) => r.type === "labstack:kubernetes:PostWorkloads")!;
    expect(check.opts.dependsOn).toEqual([workloads.resource]);
    expect(recorded.find((r) => r.name === "minikube-check-workloads-run")!.inputs.environment).toMatchObject({
      DEPLOYMENT: "alpine",
      SERVICE: "alpine-service",
      PVC: "my-pvc",
    });
  });
});

describe("minikube lab config", () => {
  const bad: [string, (raw: Record<string, any>) => void, string][] = [
    [
      "unknown driver",
      (raw) => (raw.minikube.driver = "hyperkit"),
      'labstack:lab.minikube.driver: Invalid option: expected one of "virtualbox"|"kvm2"|"docker"|"none"',
    ],
    ["too little memory", (raw) => (raw.minikube.memoryMiB = 1024), "labstack:lab.minikube.memoryMiB: must be at least 1800: minikube refuses less"],
    ["service type typo", (raw) => (raw.service.type = "Nodeport"), 'labstack:lab.service.type: Invalid option: expected one of "NodePort"|"LoadBalancer"'],
    [
      "more memory than the host",
      (raw) => (raw.host.memoryMiB = 2000),
      "labstack:lab.minikube.memoryMiB: the cluster needs 2048 MiB of memory but the lab host has 2000 MiB",
    ],
    ["unknown lab kind", (raw) => (raw.kind = "kind"), 'labstack:lab.kind: must be one of openstack, network, minikube (got "kind")'],
  ];

  it.each(bad)("fails on %s with the key named", (_, change, expected) => {
    const raw = stackLab("minikube");
    change(raw);
    expect(() => parseStack(raw)).toThrow(expected);
  });

  describe("through the entry point", () => {
    beforeEach(() => vi.resetModules());

    it.each(bad)("registers nothing on %s", async (_, change, expected) => {
      const raw = stackLab("minikube");
      change(raw);
      pulumi.runtime.setAllConfig({ "labstack:lab": JSON.stringify(raw) });
      await expect(import("../../index.js")).rejects.toThrow(expected);
      await settle();
      expect(recorded).toEqual([]);
    });
  });
});
