// The minikube lab's workloads through the real engine and the real Kubernetes provider, against
// a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager built from Go
// modules, on loopback). minikube and kind cannot run here, and without a scheduler or kubelet no
// pod runs; the provider's side is all real: the objects exist as the posts define them, the
// deployment controller makes their replica set, a Service type change is an in-place update, the
// kubeconfig stays encrypted in state, and destroy removes everything (garbage collection and PVC
// protection done by the real controllers).

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostWorkloads } from "../../stacks/minikube/PostWorkloads.js";
import { engineBin, engineOptions } from "../helpers/engine.js";
import { type KubeApiserver, kubeApiserverBin, startKubeApiserver } from "../helpers/kubeApiserver.js";

/** The stack program: the lab's workloads component on a provider made from the secret kubeconfig. */
const program = async () => {
  const config = new pulumi.Config();
  const provider = new k8s.Provider("cluster", { kubeconfig: config.requireSecret("kubeconfig") });
  // Nothing here schedules or runs pods, so readiness never comes: do not wait for it.
  pulumi.runtime.registerStackTransformation((args) => {
    if (!args.type.startsWith("kubernetes:") || args.type.startsWith("pulumi:")) return undefined;
    const metadata = args.props.metadata ?? {};
    return { props: { ...args.props, metadata: { ...metadata, annotations: { ...metadata.annotations, "pulumi.com/skipAwait": "true" } } }, opts: args.opts };
  });
  const workloads = new PostWorkloads("workloads", { provider, serviceType: config.require("serviceType") as "NodePort" | "LoadBalancer", tunnel: false });
  return { nodePort: workloads.nodePort };
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("the minikube lab's workloads on a real Kubernetes API server", () => {
  let api: KubeApiserver;
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    const engine = engineBin("--provider", "kubernetes");
    dir = mkdtempSync(join(tmpdir(), "labstack-k8s-e2e-"));
    api = await startKubeApiserver(kubeApiserverBin(), join(dir, "apiserver"));
    const options = await engineOptions(engine, dir);
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "k8s", projectName: "labstack-k8s-e2e", program },
      { ...options, projectSettings: { name: "labstack-k8s-e2e", runtime: "nodejs", backend: { url: `file://${join(dir, ".state")}` } } },
    );
    await stack.setConfig("kubeconfig", { value: api.kubeconfig, secret: true });
    await stack.setConfig("serviceType", { value: "NodePort" });
  });
  afterAll(() => {
    api?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("creates the posts' deployment, NodePort service, claim and pod through the provider", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges?.create).toBe(7); // stack, provider, component, 4 objects
    const nodePort = up.outputs.nodePort.value as number;
    expect(nodePort).toBeGreaterThanOrEqual(30000);

    const deployment = await api.get("/apis/apps/v1/namespaces/default/deployments/alpine");
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.selector.matchLabels).toEqual({ app: "alpine" });
    expect(deployment.spec.template.spec.containers.map((c: any) => [c.name, c.image])).toEqual([["alpine-ctr", "httpd:alpine"]]);
    const service = await api.get("/api/v1/namespaces/default/services/alpine-service");
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.ports).toEqual([expect.objectContaining({ protocol: "TCP", port: 8080, targetPort: 80, nodePort })]);
    const claim = await api.get("/api/v1/namespaces/default/persistentvolumeclaims/my-pvc");
    expect(claim.spec.resources.requests.storage).toBe("512Mi");
    const pod = await api.get("/api/v1/namespaces/default/pods/pv-test");
    expect(pod.spec.volumes).toEqual([{ name: "test-volume", persistentVolumeClaim: { claimName: "my-pvc" } }]);
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: "test-volume", mountPath: "/test" });
    // The controllers act on what the provider made: the deployment gets its replica set.
    await expect.poll(async () => (await api.get("/apis/apps/v1/namespaces/default/replicasets"))?.items.length, { timeout: 30_000 }).toBe(1);
  });

  it("a second up changes nothing", async () => {
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 7 });
  });

  it("switching the service to LoadBalancer updates it in place", async () => {
    const before = await api.get("/api/v1/namespaces/default/services/alpine-service");
    await stack.setConfig("serviceType", { value: "LoadBalancer" });
    const up = await stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
    const after = await api.get("/api/v1/namespaces/default/services/alpine-service");
    expect(after.spec.type).toBe("LoadBalancer");
    expect(after.metadata.uid).toBe(before.metadata.uid);
  });

  it("keeps the kubeconfig's token out of the state in plain text", async () => {
    // `exportStack` decrypts for its caller; what matters is what the backend wrote to disk.
    const files = filesUnder(join(dir, ".state")).filter((f) => f.endsWith(".json"));
    const checkpoint = files.find((f) => f.includes(`${join("stacks", "labstack-k8s-e2e", "k8s")}.json`));
    expect(checkpoint).toBeDefined();
    const provider = JSON.parse(readFileSync(checkpoint!, "utf8")).checkpoint.latest.resources.find((r: any) => r.type === "pulumi:providers:kubernetes");
    expect(provider.inputs.kubeconfig).toHaveProperty("ciphertext");
    for (const file of files) expect(readFileSync(file, "utf8"), file).not.toContain(api.token);
  });

  it("destroy removes every object", async () => {
    await stack.destroy();
    expect(await api.get("/apis/apps/v1/namespaces/default/deployments/alpine")).toBeUndefined();
    expect(await api.get("/api/v1/namespaces/default/services/alpine-service")).toBeUndefined();
    expect(await api.get("/api/v1/namespaces/default/pods/pv-test")).toBeUndefined();
    expect(await api.get("/api/v1/namespaces/default/persistentvolumeclaims/my-pvc")).toBeUndefined();
    expect((await api.get("/apis/apps/v1/namespaces/default/replicasets")).items).toEqual([]);
  });
});
