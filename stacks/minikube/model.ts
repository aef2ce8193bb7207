// The minikube post's lab, its config: a one-node cluster on the lab host (its minikube and kubectl
// releases, driver and size), how the posts' service is exposed, addons and the tunnel.
import { z } from "zod";
import { parseWith } from "../../model/parse.js";
import { checkHost, checkHostCpus, type LabIssue } from "../../model/rules.js";
import { HostSchema, sha256OrUrl, version } from "../../model/schema.js";
import type { ParseContext } from "../../model/vmLab.js";

/** The minikube post's lab: a one-node cluster on the lab host and the posts' workloads. */
export function minikubeSchema() {
  return z.strictObject({
    kind: z.literal("minikube"),
    description: z.string().optional(),
    /** @default {kind: local} */
    host: HostSchema.default({ kind: "local" }),
    minikube: z
      .strictObject({
        /** minikube release, installed on the lab host for this lab only. */
        version: version.default("v1.37.0"),
        /** Pin the binary's SHA-256; by default it is checked against the release's published .sha256. */
        sha256: sha256OrUrl.optional(),
        /** kubectl release (also the cluster's Kubernetes version unless kubernetesVersion is set). */
        kubectlVersion: version.default("v1.34.0"),
        kubectlSha256: sha256OrUrl.optional(),
        kubernetesVersion: version.optional(),
        /** virtualbox as in the post; kvm2 for KVM hosts; docker or none without a hypervisor. */
        driver: z.enum(["virtualbox", "kvm2", "docker", "none"]).default("virtualbox"),
        /** The post's defaults: 2 GB and 2 CPUs (minikube refuses less than 1800 MB or 2 CPUs). */
        memoryMiB: z.number().int().min(1800, "must be at least 1800: minikube refuses less").default(2048),
        cpus: z.number().int().min(2, "must be at least 2: minikube refuses fewer").max(64).default(2),
      })
      .default({ version: "v1.37.0", kubectlVersion: "v1.34.0", driver: "virtualbox", memoryMiB: 2048, cpus: 2 }),
    /** How `alpine-service` is exposed: the post shows both (LoadBalancer needs `tunnel` for an external IP). */
    service: z.strictObject({ type: z.enum(["NodePort", "LoadBalancer"]).default("NodePort") }).default({ type: "NodePort" }),
    /** minikube addons to enable; removing one disables it. */
    addons: z.array(z.enum(["ingress", "dashboard", "metrics-server", "storage-provisioner", "default-storageclass"])).default([]),
    /** Run `minikube tunnel` on the lab host so LoadBalancer services get an external IP. */
    tunnel: z.boolean().default(false),
    /** Bump to regenerate the lab's SSH key pair (a droplet host's key). */
    credentialsRotation: z.number().int().min(0).default(0),
  });
}

export type MinikubeLabConfig = z.infer<ReturnType<typeof minikubeSchema>>;

/** The Kubernetes releases a minikube release runs, from its constants.go (OldestKubernetesVersion,
 * NewestKubernetesVersion): minikube refuses an older one (K8S_OLD_UNSUPPORTED) and only hopes for a
 * newer minor. A minikube release not listed here is not checked. */
export const MINIKUBE_KUBERNETES: Readonly<Record<string, { readonly oldest: string; readonly newest: string }>> = {
  "v1.37.0": { oldest: "v1.28.0", newest: "v1.34.0" },
};

/** [major, minor, patch] of a release tag the schema has checked (v1.34.0). */
export const releaseNumbers = (tag: string): number[] => tag.slice(1).split(".").map(Number);
const compare = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Why minikube `minikube` cannot run Kubernetes `kubernetes`, if it cannot (a newer patch of its
 * newest minor is fine: minikube takes patches of a minor it knows). */
export function kubernetesVersionProblem(minikube: string, kubernetes: string): string | undefined {
  const range = MINIKUBE_KUBERNETES[minikube];
  if (range === undefined) return undefined;
  const [k, oldest, newest] = [releaseNumbers(kubernetes), releaseNumbers(range.oldest), releaseNumbers(range.newest)];
  if (compare(k, oldest) >= 0 && (k[0] < newest[0] || (k[0] === newest[0] && k[1] <= newest[1]))) return undefined;
  return `minikube ${minikube} runs Kubernetes ${range.oldest} to v${newest[0]}.${newest[1]}.x, not ${kubernetes}`;
}

/** The cluster's Kubernetes within the pinned minikube's range, and kubectl within one minor
 * release of it (Kubernetes' version skew policy for kubectl). */
function clusterVersions(lab: MinikubeLabConfig): LabIssue[] {
  const m = lab.minikube;
  const issues: LabIssue[] = [];
  const cluster = m.kubernetesVersion ?? m.kubectlVersion;
  const problem = kubernetesVersionProblem(m.version, cluster);
  if (problem !== undefined) {
    issues.push(
      m.kubernetesVersion !== undefined
        ? { path: ["minikube", "kubernetesVersion"], message: problem }
        : { path: ["minikube", "kubectlVersion"], message: `is also the cluster's Kubernetes version (minikube.kubernetesVersion is not set), and ${problem}` },
    );
  }
  const [kubectl, server] = [releaseNumbers(m.kubectlVersion), releaseNumbers(cluster)];
  if (kubectl[0] !== server[0] || Math.abs(kubectl[1] - server[1]) > 1) {
    issues.push({
      path: ["minikube", "kubectlVersion"],
      message: `kubectl ${m.kubectlVersion} cannot manage a Kubernetes ${cluster} cluster (minikube.kubernetesVersion): kubectl works within one minor release of the cluster`,
    });
  }
  return issues;
}

/** The whole config checked, or one error naming every bad key. */
export function parseMinikube(raw: unknown, context: ParseContext): MinikubeLabConfig {
  return parseWith(
    minikubeSchema(),
    (lab) => [
      ...clusterVersions(lab),
      ...checkHost(lab.host, lab.minikube.memoryMiB, "minikube.memoryMiB", context.facts),
      ...checkHostCpus(lab.host, [{ cpus: lab.minikube.cpus, path: ["minikube", "cpus"], who: "the cluster" }], context.facts),
    ],
    raw,
  );
}
