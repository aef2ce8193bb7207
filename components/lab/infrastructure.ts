// What every lab stands on, whatever it teaches: the lab's credentials, the lab host (local, SSH
// or a droplet) checked and prepared, the credentials file, the APT cache, the base image, the
// hypervisor's networks and one node per VM with its base setup, and how to reach them.
// Functions rather than components (like pulumi-eks's createCluster), so the stacks' resources
// keep short names directly under the lab.

import * as pulumi from "@pulumi/pulumi";
import type { HostConfig } from "../../model/schema.js";
import { aptCacheStep, urlHasCredentials } from "../../plan/aptCache.js";
import { CREDENTIALS_FILE_SCRIPT, credentialsFileEnvironment } from "../../plan/credentials.js";
import { type DropletNeeds, nodesNeeds } from "../../plan/droplet.js";
import { renderKnownHosts } from "../../plan/hostKeys.js";
import { type ImageBake, imageStep, NO_BAKE } from "../../plan/image.js";
import {
  type HostAccess,
  type InventoryGroups,
  type JumpHost,
  type NodeSummary,
  nodeSummaries,
  renderHostAccess,
  renderInventory,
  renderSshConfig,
  type ServiceEndpoint,
} from "../../plan/outputs.js";
import { labPreflight } from "../../plan/preflight.js";
import { prepareStep } from "../../plan/prepare.js";
import type { SecretSpec } from "../../plan/secrets.js";
import type { Step } from "../../plan/steps.js";
import type { HostStep, LabPlan } from "../../plan/types.js";
import type { LabHostConnection } from "../host/connection.js";
import { labHost, remoteIdentityFile, remoteKnownHostsFile } from "../host/index.js";
import type { Hypervisor } from "../hypervisor/hypervisor.js";
import { Credentials } from "./Credentials.js";
import { HostService } from "./HostService.js";
import { ProvisionedNode } from "./ProvisionedNode.js";

/** What any lab stands on before it has VMs: its host and credentials. */
export interface FoundationArgs {
  readonly host: HostConfig;
  /** Names host devices and state; the stack name. */
  readonly labName: string;
  /** The lab's state folder on its host. */
  readonly stateDir: string;
  /** What its host must have: host/preflight.sh's step. */
  readonly preflight: HostStep;
  /** What cloud-init installs on a droplet for it. */
  readonly dropletPackages: readonly string[];
  /** What its VMs need of a droplet. */
  readonly dropletNeeds: DropletNeeds;
  /** Bump to regenerate every secret. */
  readonly rotation: number;
  /** Secrets the lab kind needs beyond those every lab has. @default none */
  readonly secrets?: readonly SecretSpec[];
  /** The nodes that get a host key of the lab's making. @default none */
  readonly nodes?: readonly string[];
  /** Private key for an `ssh` lab host. @default none */
  readonly hostPrivateKey?: pulumi.Input<string>;
}

/** What every kind of lab, VMs or a cluster, starts from: its credentials and its host, checked. */
export interface LabFoundation {
  readonly credentials: Credentials;
  readonly host: LabHostConnection;
  /** Remote hosts only: how the laptop reaches the host, and nodes through it. */
  readonly jump?: pulumi.Output<JumpHost>;
  /** host/preflight.sh: everything built on the host waits for it. */
  readonly preflight: pulumi.Resource;
}

export function createLabFoundation(name: string, parent: pulumi.ComponentResource, args: FoundationArgs): LabFoundation {
  // Before the host: a droplet host is made with the lab's public key.
  const credentials = new Credentials(`${name}-credentials`, { rotation: args.rotation, secrets: args.secrets, nodes: args.nodes }, { parent });
  const remote = labHost(`${name}-host`, parent, {
    host: args.host,
    labName: args.labName,
    stateDir: args.stateDir,
    dropletPackages: args.dropletPackages,
    dropletNeeds: args.dropletNeeds,
    rotation: args.rotation,
    sshPublicKey: credentials.sshPublicKey,
    sshPrivateKey: credentials.sshPrivateKey,
    hostPrivateKey: args.hostPrivateKey,
  });
  const host = remote.connection;
  // Nothing is built on a host that cannot carry the lab; and as everything on the host depends on
  // it, destroy removes it last, which is when its `down` removes the emptied state folder. It
  // checks the mirror through the upstream proxy, which may hold a password.
  const preflight = new HostService(
    `${name}-preflight`,
    { host, step: args.preflight, secretEnvironment: urlHasCredentials(args.preflight.environment.MIRROR_PROXY) },
    { parent },
  );
  return { credentials, host, jump: remote.jump, preflight };
}

/** What every lab on VMs is built from, whatever its kind. */
export interface LabArgs<P extends LabPlan = LabPlan> {
  readonly plan: P;
  /** The lab's hypervisor (its spec is plan.hypervisor). */
  readonly hypervisor: Hypervisor;
  /** Private key for an `ssh` lab host. @default none */
  readonly hostPrivateKey?: pulumi.Input<string>;
}

export interface LabInfrastructureArgs extends LabArgs {
  /** Each node's base setup step. */
  readonly baseStep: (node: string) => Step;
  /** What the lab kind bakes into its image. @default nothing */
  readonly bake?: ImageBake;
  /** Services worth an SSH tunnel from the laptop when the lab host is remote. @default none */
  readonly services?: Readonly<Record<string, ServiceEndpoint>>;
  /** The inventory's groups. @default every node in `nodes` */
  readonly inventoryGroups?: InventoryGroups;
  /** Secrets the lab kind needs beyond those every lab has. @default none */
  readonly secrets?: readonly SecretSpec[];
}

/** How a learner reaches the lab from where Pulumi runs. */
export interface LabAccess {
  readonly nodes: NodeSummary[];
  /** The lab's private key as the learner's SSH client should find it. */
  readonly identityFile: string;
  readonly sshConfig: pulumi.Output<string>;
  /** An Ansible inventory of the nodes. */
  readonly inventory: pulumi.Output<string>;
  /** Each node's public host key (authorized_keys format), by node name. */
  readonly hostKeys: pulumi.Output<Record<string, string>>;
  /** The nodes' known_hosts lines, as ssh_config and the inventory expect them in `knownHostsFile`. */
  readonly knownHosts: pulumi.Output<string>;
  /** Where ssh_config and the inventory look for known_hosts: the credentials folder's copy
   * (credentials-file.sh writes it), or for a remote host the laptop's, which the learner saves
   * from the `known_hosts` output beside the key (docs/config.md). */
  readonly knownHostsFile: string;
  /** Remote hosts only: the host itself, and nodes and services through it. */
  readonly jump?: pulumi.Output<JumpHost>;
  readonly host?: pulumi.Output<HostAccess>;
}

export interface LabInfrastructure {
  readonly host: LabHostConnection;
  readonly credentials: Credentials;
  /** The credentials file on the lab host (the seed's ~/.os_credentials). */
  readonly credentialsFile: pulumi.Output<string>;
  /** Host-side resources every later step may rely on (preparation, cache, image, networks). */
  readonly hostResources: pulumi.Resource[];
  readonly nodes: Map<string, ProvisionedNode>;
  readonly access: LabAccess;
}

export function createLabInfrastructure(name: string, parent: pulumi.ComponentResource, args: LabInfrastructureArgs): LabInfrastructure {
  const { plan, hypervisor } = args;
  const { config } = plan;
  const bake = args.bake ?? NO_BAKE;
  const { credentials, host, jump, preflight } = createLabFoundation(name, parent, {
    host: config.host,
    labName: plan.name,
    stateDir: plan.stateDir,
    preflight: labPreflight(
      plan,
      config.nodes.reduce((sum, n) => sum + n.memoryMiB, 0),
    ),
    dropletPackages: [...plan.hypervisor.dropletPackages, ...(config.aptCache.enabled ? ["apt-cacher-ng"] : [])],
    dropletNeeds: nodesNeeds(config.nodes),
    rotation: config.credentialsRotation,
    secrets: args.secrets,
    nodes: plan.nodes.map((n) => n.name),
    hostPrivateKey: args.hostPrivateKey,
  });
  const nodeSummaryList = nodeSummaries(plan);
  const knownHosts = credentials.hostPublicKeys.apply((keys) => renderKnownHosts(nodeSummaryList, keys));
  const prepare = new HostService(`${name}-prepare`, { host, step: prepareStep(plan, bake) }, { parent, dependsOn: [preflight] });
  // A new folder is a replacement: the old one's files go with the old resource.
  const credentialsFile = new HostService(
    `${name}-credentials-file`,
    {
      host,
      step: {
        script: CREDENTIALS_FILE_SCRIPT,
        environment: pulumi.all([credentials.values, knownHosts]).apply(([v, known]) => credentialsFileEnvironment(plan.credentialsDir, v, plan.name, known)),
      },
      secretEnvironment: true,
      identity: plan.credentialsDir,
    },
    { parent, dependsOn: [preflight] },
  );
  const setup = plan.hypervisor.hostSetup?.(plan);
  const hypervisorSetup = setup === undefined ? [] : [new HostService(`${name}-host-setup`, { host, step: setup }, { parent, dependsOn: [prepare] })];
  const prepared = [prepare, ...hypervisorSetup];
  const networks = createNetworks(name, parent, { plan, host, hypervisor }, prepared);
  const hostResources: pulumi.Resource[] = [...prepared, ...networks.resources];
  const cache = aptCacheStep(plan, bake.cloudArchive);
  if (cache !== undefined) {
    // It listens on the management network's host address, so it comes after the networks; a built
    // image fetches its packages through it. A new run folder is a rebuild (the old instance, on
    // the same port, goes first).
    const aptCache = new HostService(
      `${name}-apt-cache`,
      {
        host,
        step: cache,
        secretEnvironment: urlHasCredentials(config.aptCache.upstreamProxy),
        identity: cache.environment.RUN_DIR,
        deleteBeforeReplace: true,
        observed: true,
      },
      { parent, dependsOn: [...hostResources] },
    );
    hostResources.push(aptCache);
  }
  // A changed bake (package set, release, ...) is a new image: rebuilt, and the VMs with it. The old
  // image stays in the host's cache for other stacks (README, "Image cache").
  const imageSpec = imageStep(plan, bake);
  const image = new HostService(
    `${name}-image`,
    { host, step: imageSpec, secretEnvironment: urlHasCredentials(imageSpec.environment.APT_PROXY), identity: imageSpec.environment, observed: true },
    { parent, dependsOn: [...hostResources] },
  );
  hostResources.push(image);
  const sources = { image: imageSpec.environment, networks: networks.identities };
  const nodes = new Map(
    plan.nodes.map((node) => [
      node.name,
      new ProvisionedNode(
        `${name}-${node.name}`,
        {
          host,
          hypervisor,
          plan,
          node,
          base: args.baseStep(node.name),
          hostDependencies: hostResources,
          networkDevices: networks.devices,
          sources,
          credentials: credentials.values,
          hostKey: credentials.hostKeys.get(node.name)!,
          sshPublicKey: credentials.sshPublicKey,
          baseImage: image.stdout,
        },
        { parent },
      ),
    ]),
  );
  return {
    host,
    credentials,
    credentialsFile: credentialsFile.stdout,
    hostResources,
    nodes,
    access: labAccess(plan, jump, args.services ?? {}, args.inventoryGroups ?? { nodes: plan.nodes.map((n) => n.name) }, {
      hostKeys: credentials.hostPublicKeys,
      knownHosts,
    }),
  };
}

function labAccess(
  plan: LabPlan,
  jump: pulumi.Output<JumpHost> | undefined,
  services: Readonly<Record<string, ServiceEndpoint>>,
  groups: InventoryGroups,
  keys: { hostKeys: pulumi.Output<Record<string, string>>; knownHosts: pulumi.Output<string> },
): LabAccess {
  const nodes = nodeSummaries(plan);
  // Locally the key and known_hosts are the credentials file's copies (ssh expands their ~); a
  // remote host's copies are out of the SSH client's reach.
  const identityFile = jump === undefined ? `${plan.credentialsDir}/lab-key` : remoteIdentityFile(plan.name);
  const knownHostsFile = jump === undefined ? `${plan.credentialsDir}/known_hosts` : remoteKnownHostsFile(plan.name);
  if (jump === undefined) {
    return {
      nodes,
      identityFile,
      ...keys,
      knownHostsFile,
      sshConfig: pulumi.output(renderSshConfig(nodes, identityFile, undefined, undefined, knownHostsFile)),
      inventory: pulumi.output(renderInventory(plan, nodes, groups, identityFile, undefined, knownHostsFile)),
    };
  }
  return {
    nodes,
    identityFile,
    ...keys,
    knownHostsFile,
    jump,
    sshConfig: jump.apply((j) => renderSshConfig(nodes, identityFile, j, plan.name, knownHostsFile)),
    inventory: jump.apply((j) => renderInventory(plan, nodes, groups, identityFile, j, knownHostsFile)),
    host: jump.apply((j) => renderHostAccess(nodes, j, services)),
  };
}

/** The hypervisor's host side of each lab network (NAT needs none), its device and identity by network name. */
function createNetworks(
  name: string,
  parent: pulumi.Resource,
  part: { plan: LabPlan; host: LabHostConnection; hypervisor: Hypervisor },
  after: pulumi.Resource[],
) {
  const devices: Record<string, pulumi.Output<string>> = {};
  const identities: Record<string, unknown> = {};
  const resources = part.plan.networks
    .filter((n) => n.kind !== "nat")
    .map((network) => {
      const net = part.hypervisor.network(`${name}-net-${network.name}`, { host: part.host, plan: part.plan, network }, { parent, dependsOn: after });
      devices[network.name] = net.device;
      identities[network.name] = net.identity;
      return net;
    });
  return { resources, devices, identities };
}
