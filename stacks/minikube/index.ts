// The minikube post as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import { parseMinikubeLab } from "../../model/parse.js";
import type { MinikubeLab as MinikubeLabModel } from "../../model/schema.js";
import { minikubeProfile } from "../../plan/minikube.js";
import type { LabKind } from "../kind.js";
import { MinikubeLab } from "./MinikubeLab.js";

export const minikube: LabKind<MinikubeLabModel> = {
  kind: "minikube",
  parse: parseMinikubeLab,
  build(lab, stack, options, opts) {
    const built = new MinikubeLab(stack, { ...options, lab, labName: stack }, opts);
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
