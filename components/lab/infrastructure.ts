// What every lab stands on, whatever it teaches: the lab's credentials, the lab host (local,
// SSH or a droplet) checked and prepared, the credentials file, the APT cache, the base image,
// the hypervisor's networks and one node per VM with its base setup, and how to reach them.
// Functions rather than components (like pulumi-eks's createCluster), so the stacks' resources
// keep short names directly under the lab.

import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { AnyLab, Lab, LabNode } from "../../model/schema.js";
import {
  aptCacheEnvironment,
  credentialsFileEnvironment,
  type ImageBake,
  imageEnvironment,
  labCredentialsDir,
  preflightEnvironment,
  prepareEnvironment,
  urlHasCredentials,
} from "../../plan/host.js";
import { type JumpHost, type NodeSummary, nodeSummaries, renderHostAccess, renderSshConfig, type ServiceEndpoint } from "../../plan/outputs.js";
import type { Step } from "../../plan/steps.js";
import type { LabHostConnection } from "../host/connection.js";
import { labHost, remoteIdentityFile } from "../host/index.js";
import type { Hypervisor } from "../hypervisor/hypervisor.js";
import { hypervisorOf } from "../hypervisor/registry.js";
import { Credentials } from "./Credentials.js";
import { HostService } from "./HostService.js";
import { ProvisionedNode } from "./ProvisionedNode.js";

/** What every lab is built from, whatever its kind. */
export interface LabArgs<L extends AnyLab = Lab> {
  readonly lab: L;
  /** Names host devices and state; the stack name. */
  readonly labName: string;
  /** Private key for an `ssh` lab host. */
  readonly hostPrivateKey?: pulumi.Input<string>;
  /** The verify round (`labstack:verify`): bumping it re-runs every step and check. @default 0 */
  readonly verify?: number;
}

export interface LabInfrastructureArgs extends LabArgs {
  /** Each node's base setup step. */
  readonly baseStep: (node: LabNode) => Step;
  /** What the lab kind bakes into its image. @default nothing */
  readonly bake?: ImageBake;
  /** Services worth an SSH tunnel from the laptop when the lab host is remote. */
  readonly services?: Readonly<Record<string, ServiceEndpoint>>;
}

/** How a learner reaches the lab from where Pulumi runs. */
export interface LabAccess {
  readonly nodes: NodeSummary[];
  /** The lab's private key as the learner's SSH client should find it. */
  readonly identityFile: string;
  readonly sshConfig: pulumi.Output<string>;
  /** Remote hosts only: the host itself, and nodes and services through it. */
  readonly jump?: pulumi.Output<JumpHost>;
  readonly host?: pulumi.Output<{ address: string; ssh: string; tunnels: Record<string, string> }>;
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

/** What every kind of lab, VMs or a cluster, starts from: its credentials and its host, checked. */
export interface LabFoundation {
  readonly credentials: Credentials;
  readonly host: LabHostConnection;
  /** Remote hosts only: how the laptop reaches the host, and nodes through it. */
  readonly jump?: pulumi.Output<JumpHost>;
  /** host/preflight.sh: everything built on the host waits for it. */
  readonly preflight: pulumi.Resource;
}

export function createLabFoundation(name: string, parent: pulumi.ComponentResource, args: LabArgs<AnyLab>): LabFoundation {
  const { lab, labName } = args;
  // Before the host: a droplet host is made with the lab's public key.
  const credentials = new Credentials(`${name}-credentials`, { rotation: lab.credentialsRotation }, { parent });
  const remote = labHost(`${name}-host`, parent, {
    lab,
    labName,
    sshPublicKey: credentials.sshPublicKey,
    sshPrivateKey: credentials.sshPrivateKey,
    hostPrivateKey: args.hostPrivateKey,
    verify: args.verify ?? 0,
  });
  const host = remote.connection;
  // Nothing is built on a host that cannot carry the lab; and as everything on the host depends on
  // it, destroy removes it last, which is when its `down` removes the emptied state folder.
  const checks = preflightEnvironment(lab, labName, host.stateDir);
  const include = checks.HOST_CHECKS ? [checks.HOST_CHECKS] : [];
  // It checks the mirror through the upstream proxy, which may hold a password.
  const environment = urlHasCredentials(checks.MIRROR_PROXY) ? pulumi.secret(checks) : checks;
  const preflight = new HostService(`${name}-preflight`, { host, script: "host/preflight.sh", include, environment }, { parent });
  return { credentials, host, jump: remote.jump, preflight };
}

export function createLabInfrastructure(name: string, parent: pulumi.ComponentResource, args: LabInfrastructureArgs): LabInfrastructure {
  const { lab, labName } = args;
  const opts = { parent };
  const hypervisor = hypervisorOf(lab.hypervisor.kind);
  const { credentials, host, jump, preflight } = createLabFoundation(name, parent, args);
  const prepare = new HostService(
    `${name}-prepare`,
    { host, script: "host/prepare.sh", environment: prepareEnvironment(lab, args.bake) },
    { parent, dependsOn: [preflight] },
  );
  const credentialsDir = labCredentialsDir(lab, host.stateDir);
  // A new folder is a replacement: the old one's files go with the old resource.
  const credentialsFile = new HostService(
    `${name}-credentials-file`,
    {
      host,
      script: "host/credentials-file.sh",
      environment: pulumi.secret(credentials.values.apply((v) => credentialsFileEnvironment(credentialsDir, v))),
      triggers: [credentialsDir],
    },
    { parent, dependsOn: [preflight] },
  );
  const setup = hypervisor.hostSetup?.(lab, labName);
  const hypervisorSetup = setup === undefined ? [] : [new HostService(`${name}-host-setup`, { host, ...setup }, { parent, dependsOn: [prepare] })];
  const prepared = [prepare, ...hypervisorSetup];
  const networks = createNetworks(name, parent, { lab, labName, host, hypervisor }, prepared);
  const hostResources: pulumi.Resource[] = [...prepared, ...networks.resources];
  const aptCache = createAptCache(name, parent, { lab, labName, host }, hostResources);
  if (aptCache !== undefined) hostResources.push(aptCache);
  const image = createImage(name, parent, { lab, host, bake: args.bake }, hostResources);
  hostResources.push(image);
  const networkDevices = networks.devices;
  const nodes = new Map(
    lab.nodes.map((node) => [
      node.name,
      new ProvisionedNode(
        `${name}-${node.name}`,
        {
          host,
          hypervisor,
          lab,
          labName,
          node,
          base: args.baseStep(node),
          hostDependencies: hostResources,
          networkDevices,
          credentials: credentials.values,
          sshPublicKey: credentials.sshPublicKey,
          baseImage: image.stdout,
        },
        opts,
      ),
    ]),
  );
  return {
    host,
    credentials,
    credentialsFile: credentialsFile.stdout,
    hostResources,
    nodes,
    access: labAccess(lab, labName, jump, credentialsDir, args.services),
  };
}

function labAccess(
  lab: Lab,
  labName: string,
  jump: pulumi.Output<JumpHost> | undefined,
  credentialsDir: string,
  services: Readonly<Record<string, ServiceEndpoint>> = {},
): LabAccess {
  const nodes = nodeSummaries(lab);
  // Locally the key is the credentials file's copy; a remote host's copy is out of the SSH client's reach.
  const identityFile = jump === undefined ? join(credentialsDir, "lab-key") : remoteIdentityFile(labName);
  if (jump === undefined) return { nodes, identityFile, sshConfig: pulumi.output(renderSshConfig(nodes, identityFile)) };
  return {
    nodes,
    identityFile,
    jump,
    sshConfig: jump.apply((j) => renderSshConfig(nodes, identityFile, j, labName)),
    host: jump.apply((j) => renderHostAccess(nodes, j, services)),
  };
}

interface HostPart {
  readonly lab: Lab;
  readonly labName: string;
  readonly host: LabHostConnection;
}

/** The hypervisor's host side of each lab network (NAT needs none), and its device by network name. */
function createNetworks(name: string, parent: pulumi.Resource, part: HostPart & { hypervisor: Hypervisor }, after: pulumi.Resource[]) {
  const devices: Record<string, pulumi.Output<string>> = {};
  const resources = part.lab.networks
    .filter((n) => n.kind !== "nat")
    .map((network) => {
      const net = part.hypervisor.network(`${name}-net-${network.name}`, { host: part.host, labName: part.labName, network }, { parent, dependsOn: after });
      devices[network.name] = net.device;
      return net;
    });
  return { resources, devices };
}

/** The lab's APT cache. It listens on the management network's host address, so it comes after
 * the networks; a built image fetches its packages through it. */
function createAptCache(name: string, parent: pulumi.Resource, { lab, labName, host }: HostPart, after: pulumi.Resource[]): HostService | undefined {
  if (!lab.aptCache.enabled) return undefined;
  const environment = aptCacheEnvironment(lab, labName, host.stateDir);
  return new HostService(
    `${name}-apt-cache`,
    {
      host,
      script: "host/apt-cache.sh",
      environment: urlHasCredentials(lab.aptCache.upstreamProxy) ? pulumi.secret(environment) : environment,
      // A new run folder is a replacement (the old instance, on the same port, goes first).
      triggers: [environment.RUN_DIR],
      deleteBeforeReplace: true,
    },
    { parent, dependsOn: [...after] },
  );
}

/** The nodes' base image on the host. A changed bake (package set, release, ...) is a new image:
 * replaced, and the VMs with it. The old image stays in the host's cache for other stacks
 * (README, "Image cache"). */
function createImage(
  name: string,
  parent: pulumi.Resource,
  part: { lab: Lab; host: LabHostConnection; bake?: ImageBake },
  after: pulumi.Resource[],
): HostService {
  const built = imageEnvironment(part.lab, part.bake);
  // Without a cache of its own the build fetches through the upstream proxy, which may hold a password.
  const environment = urlHasCredentials(built.APT_PROXY) ? pulumi.secret(built) : built;
  return new HostService(
    `${name}-image`,
    { host: part.host, script: "host/image.sh", environment, triggers: [environment] },
    { parent, dependsOn: [...after] },
  );
}
