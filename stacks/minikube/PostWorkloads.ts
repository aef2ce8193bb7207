// The minikube post's workloads as Pulumi resources rather than applied YAML: Deployment `alpine`
// (2 × httpd:alpine), Service `alpine-service` (8080 → 80, NodePort or LoadBalancer), PVC
// `my-pvc` (512Mi, default storage class) and Pod `pv-test` mounting it at /test.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MinikubeLabConfig as MinikubeLab } from "./model.js";
import { alpineDeployment, alpineService, testClaim, testPod } from "./plan.js";

export interface PostWorkloadsArgs {
  readonly provider: k8s.Provider;
  readonly serviceType: MinikubeLab["service"]["type"];
  /** Whether `minikube tunnel` runs, so a LoadBalancer gets an address worth waiting for. */
  readonly tunnel: boolean;
}

export class PostWorkloads extends pulumi.ComponentResource {
  readonly nodePort: pulumi.Output<number>;
  /** The LoadBalancer's external IP once a tunnel assigns one. */
  readonly loadBalancerIp: pulumi.Output<string | undefined>;

  constructor(name: string, args: PostWorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:kubernetes:PostWorkloads", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    new k8s.apps.v1.Deployment(`${name}-deployment`, alpineDeployment(), child);
    const service = new k8s.core.v1.Service(`${name}-service`, alpineService(args.serviceType, args.tunnel), child);
    const claim = new k8s.core.v1.PersistentVolumeClaim(`${name}-claim`, testClaim(), { ...child, deleteBeforeReplace: true });
    new k8s.core.v1.Pod(`${name}-pod`, testPod(), { ...child, dependsOn: [claim] });
    this.nodePort = service.spec.ports.apply((ports) => ports[0].nodePort);
    this.loadBalancerIp = service.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.ip);
    this.registerOutputs({ nodePort: this.nodePort, loadBalancerIp: this.loadBalancerIp });
  }
}
