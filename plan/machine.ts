// What every hypervisor's VM script is told about a node: vm.sh's common parameters.
import { dirname, join } from "node:path";
import type { LabConfig } from "../model/schema.js";
import { NAT } from "../model/schema.js";
import { provisioning } from "./scripts.js";
import type { HostStep, MachineEnvironmentArgs, NodePlan } from "./types.js";

// VirtualBox's PCI layout puts NICs 1-4 at slots 3, 8, 9, 10 and 5-8 at 16-19, which systemd names
// enp0s3, enp0s8, ...: the names the posts use. QEMU VMs get the same slots (qemu/vm.sh), so the
// posts' commands work as printed on either hypervisor.
export const NIC_SLOTS: readonly number[] = [3, 8, 9, 10, 16, 17, 18, 19];

/** The PCI slot of a node's NIC `index` (0-based). */
export const nicSlot = (index: number) => NIC_SLOTS[index]!;

/** The name a guest gives its NIC `index`: enp0s3 (NAT), enp0s8, enp0s9, ... */
export const postsNicName = (index: number) => `enp0s${nicSlot(index)}`;

/** Kernel and initrd to boot directly: a built image carries them beside its disk. */
export function bootFiles(config: LabConfig, baseImage: string): { kernel: string; initrd: string; append: string } {
  if (config.image.build !== undefined) {
    // Its root file system is the disk's second partition, labelled root by image-build.sh. `quiet`:
    // the kernel's and systemd's messages on the emulated serial port cost CPU under TCG; the
    // journal keeps them.
    return { kernel: join(dirname(baseImage), "vmlinuz"), initrd: join(dirname(baseImage), "initrd.img"), append: "root=LABEL=root rw console=ttyS0 quiet" };
  }
  return { kernel: config.image.kernel ?? "", initrd: config.image.initrd ?? "", append: config.image.append };
}

/** The parameters every hypervisor's vm.sh takes; each adds its own (NICS, boot files, accelerator). */
export function commonMachineEnvironment(a: MachineEnvironmentArgs): Record<string, string> {
  const { config } = a.node;
  return {
    VM_DIR: a.node.vmDir,
    NAME: a.node.name,
    BASE_IMAGE: a.baseImage,
    MEMORY_MIB: String(config.memoryMiB),
    CPUS: String(config.cpus),
    DISK_GIB: String(config.diskGiB),
    USER_DATA: a.seed.userData,
    META_DATA: a.seed.metaData,
    NETWORK_CONFIG: a.seed.networkConfig,
    NAT_NETWORK: NAT.network.text,
    NAT_GATEWAY: NAT.gateway,
    NAT_GUEST: NAT.guest,
  };
}

/** host/wait-ssh.sh on the lab host: the node's SSH forward answers with an SSH banner. */
export const waitSshStep = (node: NodePlan): HostStep => ({ script: provisioning("host/wait-ssh.sh"), environment: { PORT: String(node.sshPort) } });
