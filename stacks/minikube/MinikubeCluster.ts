// A minikube cluster on the lab host: pinned minikube and kubectl started for the lab's own
// profile, the addons the config names (removed ones are disabled), an optional `minikube tunnel`
// service, and a Kubernetes provider built from the cluster's kubeconfig.

import { join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LabHostConnection } from "../../components/host/connection.js";
import { HostService } from "../../components/lab/HostService.js";
import type { MinikubeLabConfig as MinikubeLab } from "./model.js";
import { clusterEnvironment, minikubeEnvironment, minikubeProfile, minikubeScript } from "./plan.js";

export interface MinikubeClusterArgs {
  readonly host: LabHostConnection;
  readonly lab: MinikubeLab;
  readonly labName: string;
  /** Host-side resources the cluster needs first (the preflight). */
  readonly dependsOn: pulumi.Resource[];
}

export class MinikubeCluster extends pulumi.ComponentResource {
  /** Every workload goes through this provider. */
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly nodeIp: pulumi.Output<string>;
  /** The cluster with its addons and tunnel: what workloads and checks wait for. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: MinikubeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:kubernetes:MinikubeCluster", name, {}, opts);
    const { host, lab, labName } = args;
    const environment = minikubeEnvironment(lab, labName, host.stateDir);
    // minikube keeps an existing profile's memory, CPUs and driver: any change means a new cluster.
    const start = new HostService(
      `${name}-start`,
      { host, step: { script: minikubeScript("minikube.sh"), environment }, identity: environment, deleteBeforeReplace: true },
      { parent: this, dependsOn: args.dependsOn },
    );
    const cluster = clusterEnvironment(labName, host.stateDir);
    const rebuilt = { identity: [start.runId] };
    const access = new HostService(
      `${name}-access`,
      { host, step: { script: minikubeScript("minikube-access.sh"), environment: cluster }, secretOutput: true, ...rebuilt },
      { parent: this, dependsOn: [start] },
    );
    const values = pulumi.secret(access.stdout).apply((s) => JSON.parse(s) as { ip: string; kubeconfig: string });
    this.kubeconfig = pulumi.secret(values.apply((v) => v.kubeconfig));
    // The node's address is no secret; learners need it for NodePort URLs.
    this.nodeIp = pulumi.unsecret(values.apply((v) => v.ip));
    this.provider = new k8s.Provider(
      `${name}-provider`,
      // A stable identifier keeps a re-read kubeconfig from replacing every workload; deleteUnreachable
      // lets destroy finish when the cluster is already gone.
      { kubeconfig: this.kubeconfig, clusterIdentifier: minikubeProfile(labName), deleteUnreachable: true },
      { parent: this },
    );
    const addons = lab.addons.map(
      (addon) =>
        new HostService(
          `${name}-addon-${addon}`,
          { host, step: { script: minikubeScript("minikube-addon.sh"), environment: { ...cluster, ADDON: addon } }, ...rebuilt },
          { parent: this, dependsOn: [start] },
        ),
    );
    const tunnel = lab.tunnel
      ? [
          new HostService(
            `${name}-tunnel`,
            { host, step: { script: minikubeScript("minikube-tunnel.sh"), environment: { ...cluster, RUN_DIR: join(host.stateDir, "tunnel") } }, ...rebuilt },
            { parent: this, dependsOn: [start] },
          ),
        ]
      : [];
    this.ready = [start, access, ...addons, ...tunnel];
    this.registerOutputs({ nodeIp: this.nodeIp, kubeconfig: this.kubeconfig });
  }
}
