// The minikube post as a stack: a one-node cluster on the lab host (any host kind), the posts'
// workloads through @pulumi/kubernetes, and the learner's checks (deployment available, "It
// works!" on the NodePort, PVC bound) run as part of `up`.
import * as pulumi from "@pulumi/pulumi";
import { HostService } from "../../components/lab/HostService.js";
import { createLabFoundation } from "../../components/lab/infrastructure.js";
import { stateDirOf } from "../../plan/lab.js";
import { type HostAccess, renderHostAccess } from "../../plan/outputs.js";
import { MinikubeCluster } from "./MinikubeCluster.js";
import type { MinikubeLabConfig } from "./model.js";
import { PostWorkloads } from "./PostWorkloads.js";
import { MINIKUBE_DRIVER_PACKAGES, minikubePreflight, minikubeScript, renderMinikubeTopology, workloadCheckEnvironment } from "./plan.js";

export interface MinikubeLabArgs {
  readonly lab: MinikubeLabConfig;
  /** The stack's name. */
  readonly labName: string;
  /** Private key for an `ssh` lab host. @default none */
  readonly hostPrivateKey?: pulumi.Input<string>;
}

export class MinikubeLab extends pulumi.ComponentResource {
  readonly nodeIp: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  /** The posts' services from the laptop's browser: nodePort, and loadBalancer once a tunnel gives it an address. */
  readonly urls: pulumi.Output<Record<string, string>>;
  /** How to open the dashboard on the lab host. */
  readonly dashboard: string | undefined;
  readonly credentials: pulumi.Output<unknown>;
  readonly hostAccess: pulumi.Output<HostAccess> | undefined;
  /** What the workloads check printed, by check name. */
  readonly checks: pulumi.Output<Record<string, string>>;
  readonly topology: string;

  constructor(name: string, args: MinikubeLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:stacks:MinikubeLab", name, {}, opts);
    const { lab, labName } = args;
    const stateDir = stateDirOf(lab, labName);
    // The key pair is what a droplet host admits; the cluster itself has its own certificates.
    const { credentials, host, jump, preflight } = createLabFoundation(name, this, {
      host: lab.host,
      labName,
      stateDir,
      preflight: minikubePreflight(lab, stateDir),
      dropletPackages: MINIKUBE_DRIVER_PACKAGES[lab.minikube.driver],
      dropletNeeds: { memoryMiB: lab.minikube.memoryMiB, memoryOf: "the cluster", cpus: lab.minikube.cpus, cpusOf: "the cluster" },
      rotation: lab.credentialsRotation,
      hostPrivateKey: args.hostPrivateKey,
    });
    const cluster = new MinikubeCluster(`${name}-cluster`, { host, lab, labName, dependsOn: [preflight] }, { parent: this });
    const workloads = new PostWorkloads(
      `${name}-workloads`,
      { provider: cluster.provider, serviceType: lab.service.type, tunnel: lab.tunnel },
      { parent: this, dependsOn: cluster.ready },
    );
    const check = new HostService(
      `${name}-check-workloads`,
      { host, step: { script: minikubeScript("check-workloads.sh"), environment: workloadCheckEnvironment(labName, host.stateDir) } },
      { parent: this, dependsOn: [workloads] },
    );

    this.nodeIp = cluster.nodeIp;
    this.kubeconfig = cluster.kubeconfig;
    this.urls = pulumi.all([cluster.nodeIp, workloads.nodePort, workloads.loadBalancerIp]).apply(
      ([ip, port, lb]): Record<string, string> => ({
        nodePort: `http://${ip}:${port}/`,
        ...(lb === undefined ? {} : { loadBalancer: `http://${lb}:8080/` }),
      }),
    );
    // The lab makes its profile minikube's default and puts minikube on the PATH (minikube.sh).
    this.dashboard = lab.addons.includes("dashboard") ? "minikube dashboard --url   # on the lab host; prints the dashboard's URL" : undefined;
    this.credentials = credentials.values;
    this.hostAccess = jump?.apply((j) => renderHostAccess([], j));
    this.checks = check.stdout.apply((workloads): Record<string, string> => ({ workloads }));
    this.topology = renderMinikubeTopology(lab, labName);
    this.registerOutputs({ nodeIp: this.nodeIp, urls: this.urls, checks: this.checks });
  }
}
