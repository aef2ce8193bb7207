// stacks/minikube/: the minikube post's lab: its config (model.ts), its parameters and the posts'
// workloads (plan.ts), and under mocks what MinikubeLab makes of them: every Kubernetes resource
// through the cluster's provider, the Service type as configured, the kubeconfig kept secret,
// addons and tunnel as asked, and bad config failing before anything is created.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { buildLab, parseStack } from "../../../stacks/index.js";
import { kubernetesVersionProblem, MINIKUBE_KUBERNETES, type MinikubeLabConfig, parseMinikube } from "../../../stacks/minikube/model.js";
import {
  alpineDeployment,
  alpineService,
  clusterEnvironment,
  MINIKUBE_DRIVER_PACKAGES,
  minikubeEnvironment,
  minikubePreflight,
  renderMinikubeTopology,
  testClaim,
  testPod,
  workloadCheckEnvironment,
} from "../../../stacks/minikube/plan.js";
import { bundleParam } from "../../helpers/bundles.js";
import { stackLab } from "../../helpers/labs.js";
import {
  installMocks,
  isSecretEnvelope,
  promiseOf,
  recorded,
  recordingOptions,
  registrations,
  reset,
  secretLeaks,
  settle,
  unwrap,
} from "../../helpers/mocks.js";

const parse = (change: (raw: Record<string, any>) => void = () => {}) => {
  const raw = stackLab("minikube");
  change(raw);
  return parseStack(raw) as MinikubeLabConfig;
};

const stdinOf = (name: string) => String(unwrap(recorded.find((r) => r.name === name)!.inputs).stdin);

describe("minikube lab config", () => {
  it("is the post's cluster, with the post's defaults", () => {
    expect(parse()).toEqual({
      kind: "minikube",
      host: { kind: "local" },
      minikube: { version: "v1.37.0", kubectlVersion: "v1.34.0", driver: "virtualbox", memoryMiB: 2048, cpus: 2 },
      service: { type: "NodePort" },
      addons: ["ingress", "dashboard"],
      tunnel: false,
      credentialsRotation: 0,
    });
    expect(parseMinikube({ kind: "minikube" }, { hypervisors: [], facts: {} })).toMatchObject({
      minikube: { driver: "virtualbox", memoryMiB: 2048, cpus: 2 },
      service: { type: "NodePort" },
      addons: [],
    });
  });

  const bad: [string, (raw: Record<string, any>) => void, string][] = [
    [
      "unknown driver",
      (raw) => (raw.minikube.driver = "hyperkit"),
      'labstack:lab.minikube.driver: Invalid option: expected one of "virtualbox"|"kvm2"|"docker"|"none"',
    ],
    ["too little memory", (raw) => (raw.minikube.memoryMiB = 1024), "labstack:lab.minikube.memoryMiB: must be at least 1800: minikube refuses less"],
    ["too few CPUs", (raw) => (raw.minikube.cpus = 1), "labstack:lab.minikube.cpus: must be at least 2: minikube refuses fewer"],
    ["service type typo", (raw) => (raw.service.type = "Nodeport"), 'labstack:lab.service.type: Invalid option: expected one of "NodePort"|"LoadBalancer"'],
    ["release that is no tag", (raw) => (raw.minikube.version = "1.37"), "labstack:lab.minikube.version: must be a release like v1.37.0"],
    [
      "more memory than the host",
      (raw) => (raw.host.memoryMiB = 2000),
      "labstack:lab.minikube.memoryMiB: the cluster needs 2048 MiB of memory but the lab host has 2000 MiB",
    ],
    ["a key of a lab on VMs", (raw) => (raw.nodes = []), 'labstack:lab: Unrecognized key: "nodes"'],
    ["unknown lab kind", (raw) => (raw.kind = "kind"), 'labstack:lab.kind: must be one of openstack, network, minikube (got "kind")'],
  ];

  it.each(bad)("fails on %s with the key named", (_, change, expected) => {
    const raw = stackLab("minikube");
    change(raw);
    expect(() => parseStack(raw)).toThrow(expected);
  });

  it("runs the Kubernetes releases the pinned minikube supports, patches of its newest minor included", () => {
    expect(MINIKUBE_KUBERNETES["v1.37.0"]).toEqual({ oldest: "v1.28.0", newest: "v1.34.0" });
    for (const good of ["v1.28.0", "v1.31.2", "v1.34.0", "v1.34.3"]) expect(kubernetesVersionProblem("v1.37.0", good), good).toBeUndefined();
    expect(kubernetesVersionProblem("v1.37.0", "v1.27.16")).toBe("minikube v1.37.0 runs Kubernetes v1.28.0 to v1.34.x, not v1.27.16");
    expect(kubernetesVersionProblem("v1.37.0", "v1.35.0")).toBe("minikube v1.37.0 runs Kubernetes v1.28.0 to v1.34.x, not v1.35.0");
    expect(kubernetesVersionProblem("v1.37.0", "v2.0.0")).toBeDefined();
    // A minikube release whose range is not known is not checked.
    expect(kubernetesVersionProblem("v1.99.0", "v1.0.0")).toBeUndefined();
  });

  describe("through the entry point", () => {
    beforeAll(() => installMocks("minikube"));
    beforeEach(() => {
      reset();
      vi.resetModules();
    });

    it.each(bad)("registers nothing on %s", async (_, change, expected) => {
      const raw = stackLab("minikube");
      change(raw);
      pulumi.runtime.setAllConfig({ "labstack:lab": JSON.stringify(raw) });
      await expect(import("../../../index.js")).rejects.toThrow(expected);
      await settle();
      expect(recorded).toEqual([]);
    });
  });
});

describe("minikube lab plan", () => {
  it("starts the pinned releases with the configured driver, memory and CPUs, in the lab's own profile and folder", () => {
    expect(minikubeEnvironment(parse(), "minikube", "~/.local/share/labstack/minikube")).toEqual({
      PROFILE: "labstack-minikube",
      BIN_DIR: "~/.local/share/labstack/minikube/bin",
      MINIKUBE_URL: "https://storage.googleapis.com/minikube/releases/v1.37.0/minikube-linux-amd64",
      MINIKUBE_SHA256: "https://storage.googleapis.com/minikube/releases/v1.37.0/minikube-linux-amd64.sha256",
      KUBECTL_URL: "https://dl.k8s.io/release/v1.34.0/bin/linux/amd64/kubectl",
      KUBECTL_SHA256: "https://dl.k8s.io/release/v1.34.0/bin/linux/amd64/kubectl.sha256",
      KUBERNETES_VERSION: "v1.34.0",
      DRIVER: "virtualbox",
      MEMORY_MIB: "2048",
      CPUS: "2",
    });
    const pinned = parse((raw) => {
      raw.minikube = { ...raw.minikube, sha256: "a".repeat(64), driver: "kvm2", memoryMiB: 4096, cpus: 4, kubernetesVersion: "v1.33.1" };
    });
    expect(minikubeEnvironment(pinned, "minikube", "/s")).toMatchObject({
      MINIKUBE_SHA256: "a".repeat(64),
      KUBERNETES_VERSION: "v1.33.1",
      DRIVER: "kvm2",
      MEMORY_MIB: "4096",
      CPUS: "4",
      BIN_DIR: "/s/bin",
    });
    expect(clusterEnvironment("minikube", "/s")).toEqual({ PROFILE: "labstack-minikube", BIN_DIR: "/s/bin" });
    expect(workloadCheckEnvironment("minikube", "/s")).toEqual({
      PROFILE: "labstack-minikube",
      BIN_DIR: "/s/bin",
      NAMESPACE: "default",
      DEPLOYMENT: "alpine",
      SERVICE: "alpine-service",
      PVC: "my-pvc",
    });
  });

  it("asks the host for what its driver needs: VirtualBox's checks, or KVM for kvm2", () => {
    const vbox = minikubePreflight(parse(), "~/.local/share/labstack/minikube");
    expect(vbox.script.companions).toEqual(["virtualbox/host-checks.sh"]);
    expect(vbox.environment).toEqual({
      STATE_DIR: "~/.local/share/labstack/minikube",
      MEMORY_MIB: "2048",
      HOST_KIND: "local",
      HYPERVISOR: "virtualbox",
      REQUIRE_KVM: "0",
      HOST_CHECKS: "virtualbox/host-checks.sh",
      NEED_ROOT: "",
    });
    const kvm = minikubePreflight(
      parse((raw) => (raw.minikube.driver = "kvm2")),
      "/s",
    );
    expect(kvm.environment).toMatchObject({ HYPERVISOR: "kvm2", REQUIRE_KVM: "1", HOST_CHECKS: "" });
    expect(kvm.script.companions).toEqual([]);
    expect(MINIKUBE_DRIVER_PACKAGES.docker).toEqual(["docker.io", "curl", "python3"]);
  });

  it("describes the posts' workloads as in their manifests", () => {
    expect(alpineDeployment()).toEqual({
      metadata: { name: "alpine", namespace: "default" },
      spec: {
        selector: { matchLabels: { app: "alpine" } },
        replicas: 2,
        template: { metadata: { labels: { app: "alpine" } }, spec: { containers: [{ name: "alpine-ctr", image: "httpd:alpine" }] } },
      },
    });
    expect(alpineService("NodePort", false).spec).toEqual({
      selector: { app: "alpine" },
      ports: [{ protocol: "TCP", port: 8080, targetPort: 80 }],
      type: "NodePort",
    });
    expect(testClaim().spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "512Mi" } } });
    expect(testPod().spec.containers[0].volumeMounts).toEqual([{ name: "test-volume", mountPath: "/test" }]);
    expect(testPod().spec.volumes).toEqual([{ name: "test-volume", persistentVolumeClaim: { claimName: "my-pvc" } }]);
  });

  it("does not wait for a LoadBalancer address that only a tunnel would assign", () => {
    expect(alpineService("LoadBalancer", false).metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    expect(alpineService("LoadBalancer", true).metadata).not.toHaveProperty("annotations");
    expect(alpineService("NodePort", false).metadata).not.toHaveProperty("annotations");
  });

  it("draws the cluster, its workloads and addons", () => {
    const text = renderMinikubeTopology(parse(), "minikube");
    expect(text).toContain('node_labstack_minikube["labstack-minikube<br/>minikube node, driver virtualbox<br/>2 vCPU, 2048 MiB"]');
    expect(text).toContain('svc{{"Service alpine-service NodePort 8080→80"}}');
    expect(text).toContain('addon_ingress(["addon ingress"])');
    expect(text).toContain("node_labstack_minikube --- addon_ingress\n");
    expect(text).toContain('host ---|"NodePort"| node_labstack_minikube\n');
    const tunnelled = renderMinikubeTopology(
      parse((raw) => {
        raw.tunnel = true;
        raw.addons = ["metrics-server"];
      }),
      "m",
    );
    expect(tunnelled).toContain('addon_metrics_server(["addon metrics-server"])');
    expect(tunnelled).toContain("node_labstack_m --- addon_metrics_server\n");
    expect(tunnelled).toContain('host ---|"NodePort + tunnel"| node_labstack_m\n');
    expect(tunnelled).not.toContain("addon_ingress");
  });
});

describe("minikube lab graph", () => {
  beforeAll(() => installMocks("minikube"));
  beforeEach(reset);

  async function build(change: (raw: Record<string, any>) => void = () => undefined) {
    const outputs = buildLab(parse(change), { stack: "minikube" }, recordingOptions);
    await settle();
    return outputs;
  }

  const k8sResources = () => registrations.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers"));

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
  });

  it.each(["NodePort", "LoadBalancer"])("makes alpine-service a %s as configured", async (type) => {
    await build((raw) => (raw.service.type = type));
    const service = recorded.find((r) => r.type === "kubernetes:core/v1:Service")!;
    expect(service.inputs.metadata.name).toBe("alpine-service");
    expect(service.inputs.spec.type).toBe(type);
    expect(service.inputs.spec.ports).toEqual([{ protocol: "TCP", port: 8080, targetPort: 80 }]);
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
    const stdin = stdinOf("minikube-cluster-start-run");
    const environment = minikubeEnvironment(parse(), "minikube", "~/.local/share/labstack/minikube");
    for (const [name, value] of Object.entries(environment)) expect(bundleParam(stdin, name), name).toBe(value);
    expect(stdin).toContain('bash "$dir/minikube/minikube.sh" "$@"');
    const start = registrations.find((r) => r.name === "minikube-cluster-start-run")!.opts as pulumi.CustomResourceOptions;
    expect(await promiseOf(pulumi.output(start.replacementTrigger))).toEqual(environment);
    expect(start.deleteBeforeReplace).toBe(true);
  });

  it("enables the configured addons, each its own resource, and runs the tunnel only when asked", async () => {
    const addons = () => recorded.filter((r) => r.name.includes("-addon-") && r.name.endsWith("-run")).map((r) => bundleParam(stdinOf(r.name), "ADDON"));
    const outputs = await build();
    expect(addons()).toEqual(["ingress", "dashboard"]);
    expect(recorded.some((r) => r.name.includes("tunnel"))).toBe(false);
    expect(outputs.dashboard).toContain("minikube dashboard --url");
    reset();
    const tunnelled = await build((raw) => {
      raw.addons = ["ingress"];
      raw.tunnel = true;
      raw.service.type = "LoadBalancer";
    });
    expect(addons()).toEqual(["ingress"]);
    const tunnel = stdinOf("minikube-cluster-tunnel-run");
    expect(tunnel).toContain('bash "$dir/minikube/minikube-tunnel.sh" "$@"');
    expect(bundleParam(tunnel, "RUN_DIR")).toBe("~/.local/share/labstack/minikube/tunnel");
    expect(tunnelled.dashboard).toBeUndefined();
  });

  it("runs the learner's checks after the workloads", async () => {
    await build();
    const check = registrations.find((r) => r.name === "minikube-check-workloads")!;
    const workloads = registrations.find((r) => r.type === "labstack:kubernetes:PostWorkloads")!;
    expect(check.opts.dependsOn).toEqual([workloads.resource]);
    const stdin = stdinOf("minikube-check-workloads-run");
    expect([bundleParam(stdin, "DEPLOYMENT"), bundleParam(stdin, "SERVICE"), bundleParam(stdin, "PVC")]).toEqual(["alpine", "alpine-service", "my-pvc"]);
  });
});
