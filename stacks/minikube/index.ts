// The minikube post as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import { stateDirOf } from "../../plan/lab.js";
import type { LabNode } from "../../plan/outputs.js";
import type { LabKind } from "../kind.js";
import { MinikubeLab } from "./MinikubeLab.js";
import { type MinikubeLabConfig, parseMinikube } from "./model.js";
import { minikubeEnvironment, minikubeProfile, minikubeScript, minikubeTopology, workloadCheckEnvironment } from "./plan.js";

export const minikube: LabKind<MinikubeLabConfig> = {
  kind: "minikube",
  parse: parseMinikube,
  build(lab, { stack, hostPrivateKey }, opts) {
    const built = new MinikubeLab(stack, { lab, labName: stack, hostPrivateKey }, opts);
    return {
      description: lab.description ?? "Kubernetes on your PC: a minikube cluster with the posts' deployment, service, PVC and pod",
      nodes: built.nodeIp.apply((ip): LabNode[] => [{ name: minikubeProfile(stack), ip, nics: [] }]),
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
  checks: (lab, stack) => [
    { name: "workloads", on: "host", step: { script: minikubeScript("check-workloads.sh"), env: workloadCheckEnvironment(stack, stateDirOf(lab, stack)) } },
  ],
  topology: minikubeTopology,
  statuses: (lab, stack) => [
    { name: "cluster", on: "host", step: { script: minikubeScript("minikube.sh"), env: minikubeEnvironment(lab, stack, stateDirOf(lab, stack)) } },
  ],
};
