// The one place that maps a hypervisor kind to its driver.
import type { Lab } from "../model/schema.js";
import type { HypervisorDriver } from "./driver.js";
import { QemuDriver } from "./qemu/QemuDriver.js";
import { VirtualBoxDriver } from "./virtualbox/VirtualBoxDriver.js";

const DRIVERS: Record<Lab["hypervisor"]["kind"], (labName: string) => HypervisorDriver> = {
  qemu: (labName) => new QemuDriver(labName),
  virtualbox: (labName) => new VirtualBoxDriver(labName),
};

export function hypervisorDriver(lab: Lab, labName: string): HypervisorDriver {
  return DRIVERS[lab.hypervisor.kind](labName);
}
