// What every hypervisor's VM script is told about a node (vm.sh's common parameters), and where
// the node's files live on the lab host.
import { dirname, join } from "node:path";
import type { Lab, LabNode } from "../model/schema.js";
import type { SeedDocuments } from "./cloudinit.js";
import type { NicPlan } from "./nics.js";

export function vmDir(stateDir: string, node: LabNode): string {
  return join(stateDir, "vms", node.name);
}

/** Kernel and initrd to boot directly: a built image carries them beside its disk. */
export function bootFiles(lab: Lab, baseImage: string): { kernel: string; initrd: string; append: string } {
  if (lab.image.build !== undefined) {
    // Its root file system is the disk's second partition, labelled root by image-build.sh. `quiet`:
    // the kernel's and systemd's messages on the emulated serial port cost CPU under TCG; the
    // journal keeps them.
    return { kernel: join(dirname(baseImage), "vmlinuz"), initrd: join(dirname(baseImage), "initrd.img"), append: "root=LABEL=root rw console=ttyS0 quiet" };
  }
  return { kernel: lab.image.kernel ?? "", initrd: lab.image.initrd ?? "", append: lab.image.append };
}

export interface MachineEnvironmentArgs {
  readonly labName: string;
  readonly lab: Lab;
  readonly node: LabNode;
  readonly nics: readonly NicPlan[];
  readonly seed: SeedDocuments;
  readonly baseImage: string;
  /** Host device of each lab network, by network name. */
  readonly devices: Readonly<Record<string, string>>;
  readonly stateDir: string;
}

/** The parameters every hypervisor's vm.sh takes; each adds its own (NICS, boot, accelerator). */
export function commonMachineEnvironment(a: MachineEnvironmentArgs): Record<string, string> {
  return {
    VM_DIR: vmDir(a.stateDir, a.node),
    NAME: a.node.name,
    BASE_IMAGE: a.baseImage,
    MEMORY_MIB: String(a.node.memoryMiB),
    CPUS: String(a.node.cpus),
    DISK_GIB: String(a.node.diskGiB),
    USER_DATA: a.seed.userData,
    META_DATA: a.seed.metaData,
    NETWORK_CONFIG: a.seed.networkConfig,
  };
}
