// The minikube lab's parameters and the posts' Kubernetes workloads, as pure functions of the
// model: the components hand these to host scripts and to @pulumi/kubernetes resources.
import { join } from "node:path";
import { virtualboxSpec } from "../../plan/hypervisors/virtualbox.js";
import { preflightStep } from "../../plan/preflight.js";
import { provisioning } from "../../plan/scripts.js";
import { renderMermaid, type Topology } from "../../plan/topology.js";
import type { HostStep } from "../../plan/types.js";
import type { MinikubeLabConfig as MinikubeLab } from "./model.js";

/** The lab's own minikube profile, so it never touches the learner's default cluster. */
export const minikubeProfile = (labName: string) => `labstack-${labName}`;

/** Where the lab's pinned minikube and kubectl live on the lab host. */
export const minikubeBinDir = (stateDir: string) => join(stateDir, "bin");

function release(lab: MinikubeLab) {
  const m = lab.minikube;
  const minikubeUrl = `https://storage.googleapis.com/minikube/releases/${m.version}/minikube-linux-amd64`;
  const kubectlUrl = `https://dl.k8s.io/release/${m.kubectlVersion}/bin/linux/amd64/kubectl`;
  return {
    MINIKUBE_URL: minikubeUrl,
    MINIKUBE_SHA256: m.sha256 ?? `${minikubeUrl}.sha256`,
    KUBECTL_URL: kubectlUrl,
    KUBECTL_SHA256: m.kubectlSha256 ?? `${kubectlUrl}.sha256`,
  };
}

/** Parameters of host/minikube.sh: a change to any of them rebuilds the cluster. */
export function minikubeEnvironment(lab: MinikubeLab, labName: string, stateDir: string): Record<string, string> {
  const m = lab.minikube;
  return {
    PROFILE: minikubeProfile(labName),
    BIN_DIR: minikubeBinDir(stateDir),
    ...release(lab),
    KUBERNETES_VERSION: m.kubernetesVersion ?? m.kubectlVersion,
    DRIVER: m.driver,
    MEMORY_MIB: String(m.memoryMiB),
    CPUS: String(m.cpus),
  };
}

/** What the lab's other host scripts need to reach the cluster. */
export function clusterEnvironment(labName: string, stateDir: string): Record<string, string> {
  return { PROFILE: minikubeProfile(labName), BIN_DIR: minikubeBinDir(stateDir) };
}

/** The posts' workloads: names as in the manifests (seed §3). */
export const WORKLOADS = { namespace: "default", deployment: "alpine", service: "alpine-service", pvc: "my-pvc", pod: "pv-test" } as const;

const labels = { app: "alpine" };

export function alpineDeployment() {
  return {
    metadata: { name: WORKLOADS.deployment, namespace: WORKLOADS.namespace },
    spec: {
      selector: { matchLabels: labels },
      replicas: 2,
      template: { metadata: { labels }, spec: { containers: [{ name: "alpine-ctr", image: "httpd:alpine" }] } },
    },
  };
}

/** `alpine-service`, 8080 → 80, as NodePort or LoadBalancer. Without a tunnel nothing assigns a
 * LoadBalancer an address, so Pulumi must not wait for one. */
export function alpineService(type: MinikubeLab["service"]["type"], tunnel: boolean) {
  const skipAwait = type === "LoadBalancer" && !tunnel;
  return {
    metadata: { name: WORKLOADS.service, namespace: WORKLOADS.namespace, ...(skipAwait ? { annotations: { "pulumi.com/skipAwait": "true" } } : {}) },
    spec: { selector: labels, ports: [{ protocol: "TCP", port: 8080, targetPort: 80 }], type },
  };
}

export function testClaim() {
  return {
    metadata: { name: WORKLOADS.pvc, namespace: WORKLOADS.namespace },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "512Mi" } } },
  };
}

/** `pv-test`: a pod that mounts the claim at /test, so the default storage class provisions it. */
export function testPod() {
  return {
    metadata: { name: WORKLOADS.pod, namespace: WORKLOADS.namespace },
    spec: {
      containers: [{ name: "pv-test", image: "httpd:alpine", volumeMounts: [{ name: "test-volume", mountPath: "/test" }] }],
      volumes: [{ name: "test-volume", persistentVolumeClaim: { claimName: WORKLOADS.pvc } }],
    },
  };
}

/** The scripts of the minikube lab. */
export const minikubeScript = (name: string) => provisioning(`minikube/${name}`);

/** What the host must have: minikube's VirtualBox driver needs what labstack's VirtualBox needs. */
export function minikubePreflight(lab: MinikubeLab, stateDir: string): HostStep {
  const { driver } = lab.minikube;
  return preflightStep({
    stateDir,
    memoryMiB: lab.minikube.memoryMiB,
    hostKind: lab.host.kind,
    hypervisor: driver,
    requireKvm: driver === "kvm2",
    hostChecks: driver === "virtualbox" ? virtualboxSpec.hostChecks : undefined,
    needRoot: [],
  });
}

/** What cloud-init installs on a droplet for the cluster's driver. */
export const MINIKUBE_DRIVER_PACKAGES: Record<MinikubeLab["minikube"]["driver"], string[]> = {
  virtualbox: ["virtualbox", "curl", "python3"],
  kvm2: ["qemu-kvm", "libvirt-daemon-system", "curl", "python3"],
  docker: ["docker.io", "curl", "python3"],
  none: ["conntrack", "containerd", "curl", "python3"],
};

/** Parameters of minikube/check-workloads.sh. */
export function workloadCheckEnvironment(labName: string, stateDir: string): Record<string, string> {
  return {
    ...clusterEnvironment(labName, stateDir),
    NAMESPACE: WORKLOADS.namespace,
    DEPLOYMENT: WORKLOADS.deployment,
    SERVICE: WORKLOADS.service,
    PVC: WORKLOADS.pvc,
  };
}

/** The lab host, the minikube node (its driver and size, reached by NodePort) and the posts'
 * workloads on it, for plan/topology.ts's pictures. */
export function minikubeTopology(lab: MinikubeLab, labName: string): Topology {
  const { minikube } = lab;
  return {
    name: labName,
    host: { kind: lab.host.kind },
    networks: [],
    nodes: [
      {
        name: minikubeProfile(labName),
        role: `minikube node, driver ${minikube.driver}`,
        cpus: minikube.cpus,
        memoryMiB: minikube.memoryMiB,
        nics: [],
        hostLink: lab.tunnel ? "NodePort + tunnel" : "NodePort",
        workloads: [
          { id: "svc", kind: "service", label: `Service ${WORKLOADS.service} ${lab.service.type} 8080→80`, uses: "deploy" },
          { id: "deploy", kind: "deployment", label: `Deployment ${WORKLOADS.deployment}: 2 × httpd:alpine` },
          { id: "pvc", kind: "volume", label: `PVC ${WORKLOADS.pvc} 512Mi` },
          { id: "pod", kind: "pod", label: `Pod ${WORKLOADS.pod} /test`, uses: "pvc" },
          ...lab.addons.map((a) => ({ id: `addon_${a.replace(/-/g, "_")}`, kind: "addon" as const, label: `addon ${a}` })),
        ],
      },
    ],
  };
}

/** The `topology` output: Mermaid of minikubeTopology. */
export const renderMinikubeTopology = (lab: MinikubeLab, labName: string): string => renderMermaid(minikubeTopology(lab, labName));
