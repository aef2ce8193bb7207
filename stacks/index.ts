// Stack kind → the component that builds it. The entry point calls this after parsing the config.
import * as pulumi from "@pulumi/pulumi";
import type { AnyLab } from "../components/model/schema.js";
import { homedir } from "node:os";
import { resolveHomePaths, withEnvironmentProxy } from "../components/plan/host.js";
import { minikubeProfile } from "../components/plan/minikube.js";
import { MinikubeLab } from "./MinikubeLab.js";
import { NetworkLab } from "./NetworkLab.js";
import { OpenStackLab } from "./OpenStackLab.js";

/** What every lab stack exports; other tools read these. */
export interface StackOutputs {
  readonly description: string;
  readonly nodes: unknown;
  readonly sshConfig: pulumi.Input<string>;
  /** Ansible inventory; the OpenStack lab's groups follow the seed's hosts.ini. */
  readonly inventory: pulumi.Input<string> | undefined;
  readonly topology: pulumi.Input<string>;
  readonly credentials: pulumi.Output<unknown>;
  readonly checks: pulumi.Output<unknown>;
  /** Remote lab hosts: the SSH command and the tunnels to nodes and services. */
  readonly host: pulumi.Output<unknown> | undefined;
  /** Kubernetes labs: the cluster's kubeconfig (secret), service URLs, how to open the dashboard. */
  readonly kubeconfig?: pulumi.Output<string>;
  readonly urls?: pulumi.Output<unknown>;
  readonly dashboard?: string;
  /** What to do now that the lab is up: reach the nodes, find the credentials, verify, reset. */
  readonly next: pulumi.Input<string>;
}

export interface BuildOptions {
  /** Private key for an `ssh` lab host. */
  readonly hostPrivateKey?: pulumi.Input<string>;
  /** The verify round (`labstack:verify`). */
  readonly verify?: number;
}

export function buildLab(parsed: AnyLab, stack: string, build: BuildOptions = {}, opts?: pulumi.ComponentResourceOptions): StackOutputs {
  const lab = resolveHomePaths(parsed, homedir());
  if (lab.kind === "minikube") {
    const built = new MinikubeLab(stack, { lab, labName: stack, hostPrivateKey: build.hostPrivateKey, verify: build.verify }, opts);
    return {
      description: lab.description ?? "Kubernetes on your PC: a minikube cluster with the posts' deployment, service, PVC and pod",
      nodes: built.nodeIp.apply((ip) => [{ name: minikubeProfile(stack), ip }]),
      sshConfig: "",
      inventory: undefined,
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
  }
  const args = { lab: withEnvironmentProxy(lab, process.env), labName: stack, hostPrivateKey: build.hostPrivateKey, verify: build.verify };
  if (lab.kind === "network") {
    const built = new NetworkLab(stack, args, opts);
    return {
      description: built.description,
      nodes: built.nodes,
      sshConfig: built.sshConfig,
      inventory: undefined,
      topology: built.topology,
      credentials: pulumi.secret(built.credentials),
      checks: built.checks,
      host: built.hostAccess,
      next: built.next,
    };
  }
  const built = new OpenStackLab(stack, args, opts);
  return {
    description: lab.description ?? "OpenStack playground (Lab1): controller and compute nodes with Chrony, MariaDB, RabbitMQ and Memcached",
    nodes: built.nodes,
    sshConfig: built.sshConfig,
    inventory: built.inventory,
    topology: built.topology,
    credentials: pulumi.secret(built.credentials),
    checks: built.checks,
    host: built.hostAccess,
    next: built.next,
  };
}
