// A lab of services on nodes (the OpenStack series' Lab 1, and the labs that layer more services on
// it): each node's base setup, its services in order, and the learner's checks. A kind plans these;
// components/lab/ServicesLab.ts wires them, so a layered kind extends a plan instead of copying wiring.
import type { ImageBake } from "./image.js";
import type { ServiceEndpoint } from "./outputs.js";
import { provisioning, records } from "./scripts.js";
import type { SecretSpec } from "./secrets.js";
import type { Step } from "./steps.js";
import type { LabPlan, NodePlan } from "./types.js";

export interface PlannedService {
  /** Names the step's resources (`<stack>-<node>-<name>`) and lets others wait for it (`after`). */
  readonly name: string;
  readonly step: Step;
  /** What says whether the service still runs: `pulumi refresh` runs it and a failure marks drift. */
  readonly status?: Step;
  /** Services (by name, on any node) that must be set up before this one. */
  readonly after?: readonly string[];
}

export interface PlannedCheck {
  readonly name: string;
  readonly step: Step;
  /** It reads the guest's clock (chrony): after a resume it waits until the clocks are set. @default false */
  readonly readsClock?: boolean;
}

export interface NodeSteps {
  readonly node: string;
  /** Base setup, before anything else on the node. */
  readonly base: Step;
  /** Services in the order they are set up. */
  readonly services: readonly PlannedService[];
  /** The learner's checks, run once every node's services are up. */
  readonly checks: readonly PlannedCheck[];
}

export interface ServicesPlan {
  readonly nodes: readonly NodeSteps[];
  /** What the lab's image has baked in. */
  readonly bake: ImageBake;
  /** Services worth an SSH tunnel from the laptop when the lab host is remote. */
  readonly endpoints: Readonly<Record<string, ServiceEndpoint>>;
  /** Nodes others depend on: the inventory's controller_nodes. */
  readonly controllers: ReadonlySet<string>;
  /** Secrets the kind needs beyond the ones every lab has. */
  readonly secrets: readonly SecretSpec[];
}

/** A status step: the units are active (node/units-active.sh). */
export const unitsActive = (...units: string[]): Step => ({ script: provisioning("node/units-active.sh"), env: { UNITS: units.join(" ") } });

/** The base setup every node of a lab on VMs runs: /etc/hosts, unnumbered NICs up, the APT proxy,
 * the Cloud Archive and packages (baked ones are already there). */
export function baseSetup(plan: LabPlan, node: NodePlan, hosts: string, packages: readonly string[] = [], cloudArchive = ""): Step {
  const unnumbered = node.nics.filter((n) => n.kind !== "nat" && n.ip === undefined);
  return {
    script: provisioning("node/base-setup.sh"),
    env: {
      HOSTS: hosts,
      APT_PROXY_URL: packages.length > 0 ? (plan.aptProxy ?? "") : "",
      CLOUD_ARCHIVE: cloudArchive,
      NIC_NAMES: records(node.nics.map((n) => ({ mac: n.mac, name: n.device }))),
      UNNUMBERED_DEVICES: unnumbered.map((n) => n.device).join(" "),
      PACKAGES: packages.join(" "),
    },
  };
}
