// The minikube post as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import type { LabKind } from "../kind.js";
import { MinikubeLab } from "./MinikubeLab.js";
import { type MinikubeLabConfig, parseMinikube } from "./model.js";
import { minikubeProfile } from "./plan.js";

export const minikube: LabKind<MinikubeLabConfig> = {
  kind: "minikube",
  parse: parseMinikube,
  build(lab, { stack, hostPrivateKey }, opts) {
    const built = new MinikubeLab(stack, { lab, labName: stack, hostPrivateKey }, opts);
    return {
      description: lab.description ?? "Kubernetes on your PC: a minikube cluster with the posts' deployment, service, PVC and pod",
      nodes: built.nodeIp.apply((ip) => [{ name: minikubeProfile(stack), ip }]),
      topology: built.topology,
      credentials: pulumi.secret(built.credentials),
      checks: built.checks,
      host: built.hostAccess,
      kubeconfig: pulumi.secret(built.kubeconfig),
      urls: built.urls,
      dashboard: built.dashboard,
      next: [
        `Lab ${stack} is up. Next:`,
        `  pulumi stack output kubeconfig --show-secrets -s ${stack} > kubeconfig && kubectl --kubeconfig kubeconfig get pods`,
        `  pulumi stack output urls -s ${stack}`,
        `  reset it: pulumi destroy -s ${stack} && pulumi up -s ${stack}`,
        "",
      ].join("\n"),
    };
  },
};
