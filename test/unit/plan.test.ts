import { execFileSync, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { qemuMachineEnvironment, tapName } from "../../components/hypervisor/qemu/plan.js";
import { vboxMachineEnvironment } from "../../components/hypervisor/virtualbox/plan.js";
import { cidrContains, cidrsOverlap, formatIpv4, isReservedInCidr, netmask, parseCidr, parseIpv4 } from "../../model/ipv4.js";
import { parseOpenStackLab } from "../../model/parse.js";
import { hostBridgeName } from "../../plan/bridge.js";
import { renderSeed } from "../../plan/cloudinit.js";
import {
  dropletUserData,
  hostStateDir,
  imageEnvironment,
  labAptProxy,
  preflightEnvironment,
  prepareEnvironment,
  resolveHomePaths,
  withEnvironmentProxy,
} from "../../plan/host.js";
import { bootFiles } from "../../plan/machine.js";
import { guestDevice, macAddress, planNics } from "../../plan/nics.js";
import { hostsEntries, openstackBake, planNodeSteps } from "../../plan/openstack.js";
import { renderMermaid, renderNext } from "../../plan/outputs.js";
import { hostCommand, hostStdin, nodeStdin, records, scriptPath, shellQuote } from "../../plan/steps.js";
import { stackLab } from "../helpers/labs.js";

const dev = () => parseOpenStackLab(stackLab("dev"));
const seedLab = () => parseOpenStackLab(stackLab("openstack-lab"));

describe("ipv4", () => {
  it("parses, formats and rejects", () => {
    expect(formatIpv4(parseIpv4("192.168.1.11")!)).toBe("192.168.1.11");
    expect(parseIpv4("256.1.1.1")).toBeUndefined();
    expect(parseIpv4("1.2.3")).toBeUndefined();
    expect(parseCidr("192.168.1.0/24")).toEqual({ network: parseIpv4("192.168.1.0"), prefix: 24 });
    expect(parseCidr("192.168.1.5/24")).toBeUndefined();
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(netmask(24)).toBe("255.255.255.0");
    expect(netmask(21)).toBe("255.255.248.0");
  });

  it("answers containment, overlap and reserved addresses", () => {
    const mgmt = parseCidr("192.168.1.0/24")!;
    expect(cidrContains(mgmt, parseIpv4("192.168.1.254")!)).toBe(true);
    expect(cidrContains(mgmt, parseIpv4("192.168.2.1")!)).toBe(false);
    expect(cidrsOverlap(mgmt, parseCidr("192.168.0.0/16")!)).toBe(true);
    expect(cidrsOverlap(mgmt, parseCidr("172.16.0.0/24")!)).toBe(false);
    expect(isReservedInCidr(mgmt, parseIpv4("192.168.1.255")!)).toBe(true);
    expect(isReservedInCidr(mgmt, parseIpv4("192.168.1.0")!)).toBe(true);
    expect(isReservedInCidr(parseCidr("10.1.1.0/31")!, parseIpv4("10.1.1.0")!)).toBe(false);
  });
});

describe("NICs and devices", () => {
  it("names guest NICs as each hypervisor's guests see them", () => {
    expect([0, 1, 2, 3, 4].map((i) => guestDevice("virtualbox", i))).toEqual(["enp0s3", "enp0s8", "enp0s9", "enp0s10", "enp0s16"]);
    expect([0, 1, 2].map((i) => guestDevice("qemu", i))).toEqual(["ens3", "ens4", "ens5"]);
  });

  it("plans the seed's NIC layout", () => {
    const lab = seedLab();
    const nics = planNics(lab, "openstack-lab", lab.nodes[0]);
    expect(nics.map((n) => [n.device, n.kind, n.ip ?? null, n.prefix ?? null, n.promiscuous])).toEqual([
      ["enp0s3", "nat", null, null, false],
      ["enp0s8", "hostonly", "192.168.1.11", 24, true],
      ["enp0s9", "hostonly", null, null, true],
    ]);
  });

  it("gives stable, distinct MACs and short host device names", () => {
    expect(macAddress("dev", "controller", 1)).toBe(macAddress("dev", "controller", 1));
    expect(macAddress("dev", "controller", 1)).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    const macs = new Set(["controller", "compute1", "compute2"].flatMap((n) => [0, 1, 2].map((i) => macAddress("dev", n, i))));
    expect(macs.size).toBe(9);
    const lab = dev();
    for (const net of lab.networks) expect(hostBridgeName("a-very-long-stack-name", net).length).toBeLessThanOrEqual(15);
    expect(tapName("dev", "a-node-with-a-long-name", 7).length).toBeLessThanOrEqual(15);
    expect(hostBridgeName("dev", lab.networks[1])).not.toBe(hostBridgeName("other", lab.networks[1]));
  });
});

describe("cloud-init seed", () => {
  const lab = dev();
  const nics = planNics(lab, "dev", lab.nodes[1]);
  const seed = renderSeed({ hostname: "compute1", user: "stack", sshPublicKey: "ssh-ed25519 AAAA test\n", nics });

  it("creates the lab user with the key, and leaves /etc/hosts to node setup", () => {
    expect(seed.userData.startsWith("#cloud-config\n")).toBe(true);
    const user = JSON.parse(seed.userData.slice("#cloud-config\n".length));
    expect(user.hostname).toBe("compute1");
    expect(user.manage_etc_hosts).toBe(false);
    expect(user.ssh_genkeytypes).toEqual(["ed25519"]);
    expect(user.users[0]).toMatchObject({ name: "stack", sudo: "ALL=(ALL) NOPASSWD:ALL", ssh_authorized_keys: ["ssh-ed25519 AAAA test"] });
  });

  it("configures NAT by DHCP, the management address statically, the guest NIC unnumbered", () => {
    const net = JSON.parse(seed.networkConfig);
    expect(net.version).toBe(2);
    expect(net.ethernets.ens3).toEqual({ match: { macaddress: nics[0].mac }, dhcp4: true });
    expect(net.ethernets.ens4).toEqual({ match: { macaddress: nics[1].mac }, dhcp4: false, addresses: ["192.168.1.21/24"] });
    expect(net.ethernets.ens5).toEqual({ match: { macaddress: nics[2].mac }, dhcp4: false });
  });

  it("changes the instance-id exactly when the seed changes", () => {
    const again = renderSeed({ hostname: "compute1", user: "stack", sshPublicKey: "ssh-ed25519 AAAA test", nics });
    const other = renderSeed({ hostname: "compute1", user: "stack", sshPublicKey: "ssh-ed25519 BBBB test", nics });
    expect(again.metaData).toBe(seed.metaData);
    expect(other.metaData).not.toBe(seed.metaData);
  });
});

describe("steps", () => {
  it("quotes any value for bash", () => {
    for (const value of ["plain", "it's", "$(rm -rf /)", "a\nb", '`x` "y" \\z']) {
      expect(execFileSync("bash", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" })).toBe(value);
    }
  });

  it("sends a node step as one function with stdin closed, so nothing can swallow the script", () => {
    const lab = dev();
    const memcached = planNodeSteps(lab, "dev", lab.nodes[0]).services.find((s) => s.name === "memcached")!;
    const stdin = nodeStdin(memcached.step);
    expect(stdin.startsWith("labstack_step() {\n")).toBe(true);
    expect(stdin.trimEnd().endsWith("}\nlabstack_step </dev/null")).toBe(true);
    expect(stdin).toContain("export LISTEN_ADDRESS='192.168.1.11'");
    // A command in the step that reads stdin sees EOF instead of the rest of the script.
    const probe = stdin.replace("export LISTEN_ADDRESS", 'echo "read:$(cat)"; exit 0\nexport LISTEN_ADDRESS');
    expect(execFileSync("bash", ["-s"], { input: probe, encoding: "utf8" })).toBe("read:\n");
  });

  it("refuses to render a secret step without credentials", () => {
    const lab = dev();
    const mariadb = planNodeSteps(lab, "dev", lab.nodes[0]).services.find((s) => s.name === "mariadb")!;
    expect(() => nodeStdin(mariadb.step)).toThrow("step node/mariadb.sh needs credential mariadbRootPassword");
  });

  it("plans the seed's services on the controller and clients everywhere else", () => {
    const lab = dev();
    const names = (i: number) => planNodeSteps(lab, "dev", lab.nodes[i]).services.map((s) => s.name);
    expect(names(0)).toEqual(["chrony-server", "mariadb", "rabbitmq", "memcached"]);
    expect(names(1)).toEqual(["chrony-client"]);
    const base = planNodeSteps(lab, "dev", lab.nodes[2]).base;
    expect(base.env.HOSTS).toBe("192.168.1.11 controller\n192.168.1.21 compute1\n192.168.1.22 compute2");
    expect(base.env.APT_PROXY_URL).toBe("http://192.168.1.1:3142");
    expect(base.env.UNNUMBERED_DEVICES).toBe("ens5");
    expect(hostsEntries(lab).split("\n")).toHaveLength(3);
    expect(labAptProxy(parseOpenStackLab({ ...stackLab("dev"), aptCache: { enabled: false } }))).toBeUndefined();
    const checks = planNodeSteps(lab, "dev", lab.nodes[1]).checks.map((c) => c.name);
    expect(checks).toEqual(["hosts", "chrony", "mariadb-login", "rabbitmq-login", "memcached"]);
  });

  it("binds RabbitMQ to the management address and configures it with one rabbitmqctl call", () => {
    const lab = dev();
    const steps = planNodeSteps(lab, "dev", lab.nodes[0]);
    expect(steps.services.find((s) => s.name === "rabbitmq")!.step.env).toEqual({ BIND_ADDRESS: "192.168.1.11", RABBIT_USER: "openstack" });
    expect(steps.checks.find((c) => c.name === "rabbitmq")!.step.env).toEqual({ BIND_ADDRESS: "192.168.1.11", RABBIT_USER: "openstack" });
    // Each rabbitmqctl starts an Erlang VM, seconds under TCG: the step may start one.
    const script = execFileSync("cat", ["provisioning/node/rabbitmq.sh"], { encoding: "utf8" });
    expect(script.split("\n").filter((line) => /^[^#]*\brabbitmqctl\b/.test(line))).toHaveLength(1);
  });
});

describe("host parameters", () => {
  const lab = dev();
  const node = lab.nodes[0];
  const nics = planNics(lab, "dev", node);
  const seed = renderSeed({ hostname: node.name, user: "stack", sshPublicKey: "k", nics });
  const args = { labName: "dev", lab, node, nics, seed, baseImage: "/img.qcow2", devices: { management: "br-m", guest: "br-g" }, stateDir: "/state" };

  it("describes QEMU NICs in order: NAT with the SSH forward, then taps on bridges", () => {
    const env = qemuMachineEnvironment(args);
    expect(env.NICS.split("\n").map((l) => l.split(" ").filter((f) => /^(kind|bridge)=/.test(f)))).toEqual([
      ["kind=nat"],
      ["kind=tap", "bridge=br-m"],
      ["kind=tap", "bridge=br-g"],
    ]);
    expect(env.NICS.split("\n")[0]).toBe(`kind=nat mac=${nics[0].mac} port=8222`);
    expect(env).toMatchObject({ VM_DIR: "/state/vms/controller", MEMORY_MIB: "2048", CPUS: "2", DISK_GIB: "10", ACCEL: "auto" });
  });

  it("has host preparation install the image builder's tools only for a lab that builds its image", () => {
    const builder = ["mmdebstrap", "sfdisk", "mkfs.fat", "mcopy", "syslinux"];
    const commands = (l: ReturnType<typeof dev>) =>
      prepareEnvironment(l)
        .PACKAGES.split("\n")
        .map((line) => line.split(" ")[0].slice("command=".length));
    expect(commands(lab)).toEqual(["qemu-system-x86_64", "qemu-img", "cloud-localds", ...builder]);
    expect(prepareEnvironment(lab).PACKAGES).toContain("command=sfdisk package=fdisk");
    expect(commands(seedLab())).not.toContain("mmdebstrap");
  });

  it("describes VirtualBox NICs with their attachment and promiscuous mode", () => {
    expect(vboxMachineEnvironment(args).NICS).toBe(
      [
        `kind=nat mac=${nics[0].mac} port=8222`,
        `kind=hostonly mac=${nics[1].mac} to=br-m promisc=allow-all`,
        `kind=hostonly mac=${nics[2].mac} to=br-g promisc=allow-all`,
      ].join("\n"),
    );
  });
});

describe("lists for the scripts", () => {
  it("reach bash's record field for field, spaces, percent signs, backslashes, newlines and globs intact", () => {
    const items = [
      { path: "/srv/my lab/disk 1.qcow2", note: "100% \\n not a newline\tand a tab\nand a line", glob: "*" },
      { ports: ["a", "b c"], empty: "", left: undefined },
    ];
    const program = `source ${shellQuote(scriptPath("lib/records.sh"))}
while read -r line; do record "$line"; for k in $(printf '%s\\n' "\${!field[@]}" | sort); do printf '%s=[%s]\\n' "$k" "\${field[$k]}"; done; echo --; done < <(records "$LIST")`;
    const out = execFileSync("bash", ["-c", program], { encoding: "utf8", env: { ...process.env, LIST: `\n${records(items)}\n\n` } });
    expect(out).toBe(
      ["glob=[*]", "note=[100% \\n not a newline\tand a tab\nand a line]", "path=[/srv/my lab/disk 1.qcow2]", "--", "empty=[]", "ports=[a,b c]", "--", ""].join(
        "\n",
      ),
    );
  });
});

describe("remote lab hosts", () => {
  it("ships a host script with the siblings it names, runs it in a folder it removes, and keeps parameters off the command line", () => {
    const env = { NAME: "it's", VM_DIR: "/var/lib/labstack/dev/vms/a" };
    const vm = hostStdin("qemu/vm.sh", env);
    expect(vm).toContain('> "$dir/qemu/vm.sh"');
    expect(vm).toContain('> "$dir/qemu/accel.sh"');
    expect(hostStdin("checks/host-ping.sh", {})).toContain('> "$dir/checks/lib.sh"');
    expect(hostStdin("checks/host-ping.sh", {})).not.toContain("checks/arp.sh");
    expect(vm).toContain(`export NAME='it'\\''s'`);
    expect(hostCommand("up", "lab")).toBe("sudo -n bash -s up");
    expect(hostCommand("down", "root")).toBe("bash -s down");
    // It really runs: a check script with its lib.sh, from stdin, leaving no folder behind.
    const tmp = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
    const out = execFileSync("bash", ["-s", "up"], {
      input: hostStdin("checks/host-ping.sh", { TARGET: "127.0.0.1", EXPECT: "reach" }),
      encoding: "utf8",
      env: { ...process.env, TMPDIR: tmp },
    });
    expect(out).toContain("ok: ping 127.0.0.1 from the lab host: reached");
    expect(execFileSync("ls", ["-A", tmp], { encoding: "utf8" })).toBe("");
  });

  it("ships the shared list reader and a hypervisor's host checks, which then run there", () => {
    expect(hostStdin("qemu/vm.sh", {})).toContain('> "$dir/lib/records.sh"');
    // A QEMU lab's preflight goes without VirtualBox's checks: only `include` ships them.
    expect(hostStdin("host/preflight.sh", {})).not.toContain("virtualbox/host-checks.sh");
    const root = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
    for (const [file, text] of [
      ["proc/meminfo", "MemTotal: 16384000 kB\n"],
      ["proc/cpuinfo", "flags : fpu vmx\n"],
      ["proc/sys/kernel/osrelease", "6.8.0\n"],
    ]) {
      execFileSync("install", ["-D", "/dev/null", join(root, file)]);
      writeFileSync(join(root, file), text);
    }
    const env = { HOST_ROOT: root, MEMORY_MIB: "1024", HYPERVISOR: "virtualbox", HOST_CHECKS: "virtualbox/host-checks.sh" };
    const r = spawnSync("bash", ["-s", "up"], { input: hostStdin("host/preflight.sh", env, [env.HOST_CHECKS]), encoding: "utf8" });
    rmSync(root, { recursive: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no /dev/vboxdrv): sudo modprobe vboxdrv");
  });

  it("keeps state under the user's home locally and system-wide on remote hosts", () => {
    expect(hostStateDir({ kind: "local" }, "dev", "/home/u")).toBe("/home/u/.local/share/labstack/dev");
    expect(hostStateDir({ kind: "ssh", address: "h", port: 22, user: "root" }, "dev", "/home/u")).toBe("/var/lib/labstack/dev");
    expect(hostStateDir({ kind: "local", stateDir: "/srv/lab" }, "dev", "/home/u")).toBe("/srv/lab");
  });

  it("demands KVM on a droplet unless TCG is chosen, and sums the nodes' memory", () => {
    const onDroplet = (accel: string) =>
      parseOpenStackLab({ ...dev(), host: { kind: "digitalocean", region: "fra1", sshSourceCidrs: ["203.0.113.7/32"] }, hypervisor: { kind: "qemu", accel } });
    const stateDir = "/var/lib/labstack/dev";
    const bridge = (net: string) => hostBridgeName("dev", dev().networks.find((n) => n.name === net)!);
    expect(preflightEnvironment(onDroplet("auto"), "dev", stateDir)).toEqual({
      MEMORY_MIB: "4096",
      HYPERVISOR: "qemu",
      REQUIRE_KVM: "1",
      HOST_CHECKS: "",
      HOST_KIND: "digitalocean",
      STATE_DIR: stateDir,
      NEED_ROOT: "QEMU's taps and bridges, the APT cache's system service",
      SSH_PORTS: [
        "port=8222 key=labstack:lab.nodes[0].nics[0].sshPort vm=/var/lib/labstack/dev/vms/controller/qemu.pid",
        "port=8200 key=labstack:lab.nodes[1].nics[0].sshPort vm=/var/lib/labstack/dev/vms/compute1/qemu.pid",
        "port=8201 key=labstack:lab.nodes[2].nics[0].sshPort vm=/var/lib/labstack/dev/vms/compute2/qemu.pid",
      ].join("\n"),
      NETWORKS: [
        `key=labstack:lab.networks[1].cidr cidr=192.168.1.0/24 own=${bridge("management")}`,
        `key=labstack:lab.networks[2].cidr cidr=172.16.0.0/24 own=${bridge("guest")}`,
      ].join("\n"),
      FILES: "",
      DEVICES: "",
      MIRRORS: "key=labstack:lab.image.build.mirror distro=debian release=bookworm",
      MIRROR_PROXY: "",
    });
    expect(preflightEnvironment(onDroplet("tcg"), "dev", stateDir).REQUIRE_KVM).toBe("0");
    expect(preflightEnvironment(dev(), "dev", stateDir).REQUIRE_KVM).toBe("0");
    const key = {
      privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nhostKeySecret\n-----END OPENSSH PRIVATE KEY-----\n",
      publicKey: "ssh-ed25519 AAAAhost labstack host\n",
    };
    const userData = dropletUserData(onDroplet("auto"), key);
    expect(userData).toMatch(
      /^#cloud-config\npackage_update: true\npackages:\n {2}- qemu-system-x86\n {2}- qemu-utils\n {2}- cloud-image-utils\n {2}- apt-cacher-ng\n/,
    );
    // The droplet's host key is the lab's, and no other is made: SSH to it is verified from the start.
    const cloudConfig = parse(userData);
    expect(cloudConfig.ssh_keys).toEqual({ ed25519_private: key.privateKey, ed25519_public: "ssh-ed25519 AAAAhost labstack host" });
    expect(cloudConfig).toMatchObject({ ssh_deletekeys: true, ssh_genkeytypes: [] });
  });
});

describe("topology", () => {
  it("draws host, networks and every NIC", () => {
    const text = renderMermaid(seedLab(), "openstack-lab");
    expect(text).toContain('host ---|"192.168.1.1"| net_management');
    expect(text).toContain('node_controller ---|"enp0s8 192.168.1.11, promisc"| net_management');
    expect(text).toContain('node_compute2 ---|"enp0s9 (no IP), promisc"| net_guest');
    expect(text).toContain('node_compute1 ---|"enp0s3 :22 ← 8200"| net_nat');
  });
});

describe("downloaded images", () => {
  it("bake the lab kind's packages in a builder VM: the Cloud Archive's, through the lab's cache, on the smallest node's disk", () => {
    const lab = seedLab();
    const env = imageEnvironment(lab, openstackBake(lab));
    expect(env).toMatchObject({
      IMAGE_URL: "https://cloud-images.ubuntu.com/releases/jammy/release/ubuntu-22.04-server-cloudimg-amd64.img",
      CLOUD_ARCHIVE: "caracal",
      APT_PROXY: "http://192.168.1.1:3142",
      DISK_GIB: String(Math.min(...lab.nodes.map((n) => n.diskGiB))),
      ACCEL: "auto",
      KERNEL: "",
    });
    expect(env.PACKAGES).toBe(imageEnvironment(dev(), openstackBake(dev())).PACKAGES);
    expect(env.SERVICES_OFF).toContain("mariadb.socket");
  });

  it("are used as they are when the lab says bake: false or its kind bakes nothing", () => {
    const raw = stackLab("openstack-lab");
    const unbaked = parseOpenStackLab({ ...raw, image: { ...raw.image, bake: false } });
    const source = ["IMAGE_PATH", "IMAGE_SHA256", "IMAGE_URL"];
    expect(Object.keys(imageEnvironment(unbaked, openstackBake(unbaked))).sort()).toEqual(source);
    expect(Object.keys(imageEnvironment(seedLab())).sort()).toEqual(source);
  });

  it("have host preparation install QEMU and SSH for the builder VM only when they are baked", () => {
    const lab = seedLab();
    const baked = prepareEnvironment(lab, openstackBake(lab)).PACKAGES;
    expect(baked).toContain("command=qemu-system-x86_64 package=qemu-system-x86");
    expect(baked).toContain("command=ssh package=openssh-client");
    // VirtualBox needs qemu-img and cloud-localds itself: each is installed once.
    expect(baked.match(/command=qemu-img /g)).toHaveLength(1);
    expect(prepareEnvironment(lab).PACKAGES).not.toContain("qemu-system-x86_64");
  });
});

describe("built images", () => {
  it("bake the OpenStack lab's packages, services off, fetched through the lab's APT cache", () => {
    const lab = dev();
    const env = imageEnvironment(lab, openstackBake(lab));
    expect(env).toMatchObject({ DISTRO: "debian", RELEASE: "bookworm", SIZE_GIB: "3", APT_PROXY: "http://192.168.1.1:3142" });
    expect(env.PACKAGES.split(" ")).toEqual([
      "chrony",
      "mariadb-client",
      "mariadb-server",
      "memcached",
      "python3-amqp",
      "python3-openstackclient",
      "python3-pymysql",
      "rabbitmq-server",
    ]);
    // The socket too: a socket unit enabled in the image would listen on every address at boot.
    expect(env.SERVICES_OFF).toBe("mariadb.service mariadb.socket memcached.service rabbitmq-server.service");
    // A lab without the services bakes fewer packages: a different image.
    const small = parseOpenStackLab({ ...stackLab("dev"), services: { chrony: { server: "controller" } } });
    expect(imageEnvironment(small, openstackBake(small)).PACKAGES).not.toContain("mariadb-server");
    // Without a cache of its own the build fetches through the configured upstream proxy.
    const noCache = parseOpenStackLab({ ...stackLab("dev"), aptCache: { enabled: false, upstreamProxy: "http://10.9.9.9:3142" } });
    expect(imageEnvironment(noCache).APT_PROXY).toBe("http://10.9.9.9:3142");
  });

  it("every package a service step installs is baked", () => {
    const baked = openstackBake(dev()).packages;
    for (const script of ["mariadb", "rabbitmq", "memcached", "chrony-server", "chrony-client"]) {
      const text = execFileSync("cat", [`provisioning/node/${script}.sh`], { encoding: "utf8" });
      const wanted = /^ensure_packages (.+)$/m.exec(text)![1].split(" ");
      for (const p of wanted) expect(baked, `${script}.sh installs ${p}`).toContain(p);
    }
  });

  it("boot the kernel and initrd that lie beside the built disk", () => {
    expect(bootFiles(dev(), "/c/images/debian-bookworm-abc/disk.qcow2")).toEqual({
      kernel: "/c/images/debian-bookworm-abc/vmlinuz",
      initrd: "/c/images/debian-bookworm-abc/initrd.img",
      append: "root=LABEL=root rw console=ttyS0 quiet",
    });
    expect(bootFiles(seedLab(), "/c/images/x.img")).toEqual({ kernel: "", initrd: "", append: "root=/dev/vda rw console=ttyS0" });
  });

  it("a remote host gets the image scripts the image step calls, transitively", () => {
    const stdin = hostStdin("host/image.sh", {});
    expect(stdin).toContain('> "$dir/host/image-build.sh"');
    expect(stdin).toContain('> "$dir/host/image-customize.sh"');
    // The baker boots its VM as the QEMU driver does and runs the nodes' own base setup in it.
    for (const f of ["host/image-bake.sh", "host/wait-ssh.sh", "qemu/accel.sh", "node/base-setup.sh", "node/lib.sh", "lib/records.sh"]) {
      expect(stdin).toContain(`> "$dir/${f}"`);
    }
    expect(stdin).not.toContain('> "$dir/host/bridge.sh"');
  });
});

describe("next steps", () => {
  it("tell the learner how to reach each node, where the credentials are, how to verify and reset", () => {
    const text = renderNext(
      "dev",
      [{ name: "controller", managementIp: "192.168.1.11", ssh: { host: "127.0.0.1", port: 8222, user: "stack" } }],
      "/home/l/.local/share/labstack/dev/credentials/credentials.yaml",
    );
    expect(text).toContain("ssh -F ~/.ssh/labstack-dev.conf controller");
    expect(text).toContain("credentials: /home/l/.local/share/labstack/dev/credentials/credentials.yaml");
    expect(text).toContain("npm run verify -- dev");
    expect(text).toContain("pulumi destroy -s dev && pulumi up -s dev");
  });
});

describe("home-relative paths", () => {
  it("are made absolute for the local host, so no script sees a literal ~", () => {
    const lab = parseOpenStackLab({ ...stackLab("dev"), host: { kind: "local", stateDir: "~/labs/dev" }, credentialsDir: "~/.os_credentials" });
    const resolved = resolveHomePaths(lab, "/home/learner");
    expect(resolved.host.stateDir).toBe("/home/learner/labs/dev");
    expect(resolved.credentialsDir).toBe("/home/learner/.os_credentials");
    expect(resolveHomePaths(parseOpenStackLab(stackLab("dev")), "/home/learner").host.stateDir).toBeUndefined();
  });
});

describe("the environment's proxy", () => {
  it("is the local lab's upstream when its config names none, as a URL, and only an HTTP proxy", () => {
    const lab = parseOpenStackLab(stackLab("dev"));
    expect(withEnvironmentProxy(lab, { http_proxy: "http://proxy.example:3128" }).aptCache.upstreamProxy).toBe("http://proxy.example:3128");
    // curl and apt take a bare host:port too.
    expect(withEnvironmentProxy(lab, { http_proxy: "10.0.0.1:3128" }).aptCache.upstreamProxy).toBe("http://10.0.0.1:3128");
    expect(withEnvironmentProxy(lab, { http_proxy: "socks5://10.0.0.1:1080" }).aptCache.upstreamProxy).toBeUndefined();
    expect(withEnvironmentProxy(lab, {}).aptCache.upstreamProxy).toBeUndefined();
    const configured = parseOpenStackLab({ ...stackLab("dev"), aptCache: { upstreamProxy: "http://mirror.example:3142" } });
    expect(withEnvironmentProxy(configured, { http_proxy: "http://proxy.example:3128" }).aptCache.upstreamProxy).toBe("http://mirror.example:3142");
    const remote = parseOpenStackLab({ ...stackLab("dev"), host: { kind: "ssh", address: "lab.example" } });
    expect(withEnvironmentProxy(remote, { http_proxy: "http://proxy.example:3128" }).aptCache.upstreamProxy).toBeUndefined();
  });
});
