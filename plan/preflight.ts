// What the lab host must have before anything is built on it (host/preflight.sh, whose header
// describes the lists). The lab's own VMs and devices are named so that a re-run, or an update
// while the lab is up, does not count them as the host's.
import { formatPath } from "../model/parse.js";
import { provisioning, records, type Script } from "./scripts.js";
import type { HostStep, LabPlan } from "./types.js";

/** What any lab asks of the preflight; a lab on VMs adds its ports, networks, files and mirrors. */
export interface PreflightNeeds {
  readonly stateDir: string;
  readonly memoryMiB: number;
  readonly hostKind: string;
  /** What runs the VMs, for the messages. */
  readonly hypervisor: string;
  readonly requireKvm: boolean;
  /** A hypervisor's own checks (a script under provisioning/ the preflight sources). */
  readonly hostChecks?: string;
  readonly needRoot: readonly string[];
}

const preflightScript = (hostChecks?: string): Script => provisioning("host/preflight.sh", hostChecks === undefined ? [] : [hostChecks]);

/** The preflight of a lab with no VMs of its own (the minikube cluster). */
export function preflightStep(needs: PreflightNeeds, lists: Readonly<Record<string, string>> = {}): HostStep {
  return {
    script: preflightScript(needs.hostChecks),
    environment: {
      STATE_DIR: needs.stateDir,
      MEMORY_MIB: String(needs.memoryMiB),
      HOST_KIND: needs.hostKind,
      HYPERVISOR: needs.hypervisor,
      REQUIRE_KVM: needs.requireKvm ? "1" : "0",
      HOST_CHECKS: needs.hostChecks ?? "",
      NEED_ROOT: needs.needRoot.join(", "),
      ...lists,
    },
  };
}

/** The preflight of a lab on VMs: its memory, the hypervisor's needs, and the ports, networks,
 * files, devices and mirrors its config names, each with the config key a message would name. */
export function labPreflight(plan: LabPlan, memoryMiB: number): HostStep {
  const { config, hypervisor } = plan;
  const facts = hypervisor.preflight(plan);
  const needRoot = [...facts.needRoot, ...(config.aptCache.enabled ? ["the APT cache's system service"] : [])];
  const sshPorts = plan.nodes.map((node, i) => ({ port: node.sshPort, key: formatPath(["nodes", i, "nics", 0, "sshPort"]), vm: facts.runningVm(node) }));
  const networks = plan.networks.flatMap((n, i) =>
    n.hostCidr === undefined || !(n.kind === "hostonly" || (n.kind === "bridged" && n.config.create))
      ? []
      : [{ key: formatPath(["networks", i, "cidr"]), cidr: n.config.cidr!.text, own: facts.ownDevice(n) }],
  );
  const files = (["path", "kernel", "initrd"] as const).flatMap((key) =>
    config.image[key] === undefined ? [] : [{ key: formatPath(["image", key]), path: config.image[key] }],
  );
  const devices = plan.networks.flatMap((n, i) =>
    n.kind === "bridged" && !n.config.create && n.config.device !== undefined ? [{ key: formatPath(["networks", i, "device"]), device: n.config.device }] : [],
  );
  const { build } = config.image;
  const mirrors =
    build === undefined ? [] : [{ key: formatPath(["image", "build", "mirror"]), distro: build.distro, release: build.release, url: build.mirror }];
  return preflightStep(
    {
      stateDir: plan.stateDir,
      memoryMiB,
      hostKind: config.host.kind,
      hypervisor: hypervisor.kind,
      requireKvm: facts.requireKvm,
      hostChecks: hypervisor.hostChecks,
      needRoot,
    },
    {
      // Named in another lab's refusal when this one's claim is in its way.
      LAB: plan.name,
      SSH_PORTS: records(sshPorts),
      NETWORKS: records(networks),
      FILES: records(files),
      DEVICES: records(devices),
      MIRRORS: records(mirrors),
      MIRROR_PROXY: config.aptCache.upstreamProxy ?? "",
    },
  );
}
