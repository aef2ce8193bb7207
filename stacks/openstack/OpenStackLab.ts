// Lab 1 of the OpenStack series: the lab host prepared, credentials generated, the APT cache, the
// hypervisor's networks and one VM per node, base setup, Chrony, MariaDB, RabbitMQ, Memcached,
// and the learner's checks, which fail `up` when the lab is not what the posts promise.
import * as pulumi from "@pulumi/pulumi";
import type { LabArgs } from "../../components/lab/infrastructure.js";
import { createServicesLab } from "../../components/lab/services.js";
import type { CredentialValues } from "../../plan/credentials.js";
import { type HostAccess, type NodeSummary, renderMermaid, renderNext } from "../../plan/outputs.js";
import type { ServicesPlan } from "../../plan/services.js";
import type { LabPlan } from "../../plan/types.js";

export interface OpenStackLabArgs extends LabArgs<LabPlan> {
  /** The lab's services, planned by its kind (this lab's, or one layered on it). */
  readonly services: ServicesPlan;
}

export class OpenStackLab extends pulumi.ComponentResource {
  readonly nodes: NodeSummary[];
  readonly sshConfig: pulumi.Output<string>;
  readonly inventory: pulumi.Output<string>;
  /** Each node's public host key, by node name, and them as known_hosts lines. */
  readonly hostKeys: pulumi.Output<Record<string, string>>;
  readonly knownHosts: pulumi.Output<string>;
  /** Remote hosts: the SSH command and tunnels from the laptop. */
  readonly hostAccess: pulumi.Output<HostAccess> | undefined;
  /** What to do now that the lab is up (renderNext). */
  readonly next: pulumi.Output<string>;
  readonly topology: string;
  readonly credentials: pulumi.Output<CredentialValues>;
  readonly credentialsFile: pulumi.Output<string>;
  /** What each check printed, by node and check. */
  readonly checks: pulumi.Output<Record<string, Record<string, string>>>;

  constructor(name: string, args: OpenStackLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:stacks:OpenStackLab", name, {}, opts);
    const { plan } = args;
    const { infra, checks } = createServicesLab(name, this, args);
    const { access } = infra;
    this.nodes = access.nodes;
    this.sshConfig = access.sshConfig;
    this.inventory = access.inventory;
    this.hostKeys = access.hostKeys;
    this.knownHosts = access.knownHosts;
    this.hostAccess = access.host;
    this.topology = renderMermaid(plan);
    this.credentials = infra.credentials.values;
    this.credentialsFile = infra.credentialsFile;
    this.next = infra.credentialsFile.apply((file) => renderNext(plan, this.nodes, file.trim()));
    this.checks = checks;
    this.registerOutputs({ nodes: this.nodes, credentials: this.credentials, checks: this.checks });
  }
}
