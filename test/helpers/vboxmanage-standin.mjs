// A stand-in for VBoxManage, for running provisioning/virtualbox/*.sh where VirtualBox cannot be
// installed (Debian 12 does not ship it and our machines reach no other archive). It keeps the
// host's VirtualBox state in a JSON file, accepts what VirtualBox 7.0 accepts of what the scripts
// use (old and 7.0 option spellings), and fails where VirtualBox fails in ways that matter to the
// scripts. Each behaviour names its source: the VirtualBox 7.0 manual (chapter and section), the
// 7.0 sources (src/VBox/...), or a public report of the real message. It boots nothing: the real
// VM runs of the same lab are QEMU's.
// Environment: VBOX_STANDIN_STATE (the JSON file), VBOX_NETWORKS_CONF (default /etc/vbox/networks.conf),
//              VBOX_STANDIN_DEV (where the kernel's vboxdrv and vboxnetctl devices are; default /dev)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const statePath = process.env.VBOX_STANDIN_STATE;
if (!statePath) fail("VBOX_STANDIN_STATE is not set");
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : { hostonlyifs: [], dhcpservers: [], vms: [], registry: {}, calls: [] };
const args = process.argv.slice(2);
state.calls.push(args);
const dev = process.env.VBOX_STANDIN_DEV ?? "/dev";

function fail(message) {
  if (statePath && state) save();
  process.stderr.write(
    message
      .split("\n")
      .map((l) => `VBoxManage: error: ${l}\n`)
      .join(""),
  );
  process.exit(1);
}
function save() {
  writeFileSync(statePath, JSON.stringify(state, null, 2));
}
function vm(name) {
  const found = state.vms.find((v) => v.name === name);
  if (!found) fail(`Could not find a registered machine named '${name}'`);
  return found;
}
// A VM's session outlives `controlvm poweroff` for a moment: VMState reads "poweroff" while the VM
// process still holds the lock, and `unregistervm` then fails (packer#8059, vagrant#8104). Time is
// counted in VBoxManage calls here so tests are deterministic: the lock goes with the third call
// after the poweroff, so a script that only waits for VMState="poweroff" meets it.
const UNLOCK_AFTER_CALLS = 3;
const locked = (v) => v.state === "running" || (v.unlockAtCall ?? 0) > state.calls.length;
function unlocked(v) {
  if (locked(v)) fail(`The machine '${v.name}' is already locked for a session (or being unlocked)`);
  return v;
}

// VBoxManage 7.0 translates its human-readable output (src/VBox/Frontends/VBoxManage/nls/) and
// picks the language like any gettext program, LC_ALL before LC_MESSAGES before LANG. These
// words are illustrative, not the catalogue's: what matters is that the labels change.
const language = process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || "C";
const translated = !/^(C|POSIX|en)([._@]|$)/.test(language);
const tr = (english, other) => (translated ? other : english);

/** `--key value` pairs in order; a flag this command does not know is an error, as in VBoxManage. */
function options(list, known) {
  const out = [];
  for (let i = 0; i < list.length; i++) {
    const [given, inline] = list[i].split(/=(.*)/s);
    // 7.0 renamed most options (--nic-type1 for --nictype1) and kept the old spellings as aliases
    // (VBoxManageModifyVM.cpp's option table lists both): one canonical form for both.
    const flag = `--${given.slice(2).replaceAll("-", "")}`;
    const spec = known.find(([pattern]) => pattern.test(flag));
    if (!given.startsWith("--") || !spec) fail(`Unknown option: ${list[i]}`);
    const arity = spec[1];
    const values = inline !== undefined ? [inline] : list.slice(i + 1, i + 1 + arity);
    if (values.length < arity) fail(`Missing value for ${given}`);
    if (inline === undefined) i += arity;
    out.push([flag, ...values]);
  }
  return out;
}
const ipv4 = (text) => text.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
// Manual 6.7 "Host-Only Networking": on Linux only 192.168.56.0/21 is allowed, unless
// /etc/vbox/networks.conf exists; then exactly the ranges on its "* " lines are, and no others.
function allowedHostOnly(ip, mask) {
  const conf = process.env.VBOX_NETWORKS_CONF ?? "/etc/vbox/networks.conf";
  const ranges = existsSync(conf)
    ? readFileSync(conf, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("* "))
        .flatMap((l) => l.slice(2).trim().split(/\s+/))
    : ["192.168.56.0/21"];
  const maskBits = ipv4(mask).toString(2).replace(/0+$/, "").length;
  return ranges.some((range) => {
    const [base, bits] = range.split("/");
    const size = 2 ** (32 - Number(bits));
    const start = ipv4(base) - (ipv4(base) % size);
    const netStart = ipv4(ip) - (ipv4(ip) % 2 ** (32 - maskBits));
    return maskBits >= Number(bits) && netStart >= start && netStart < start + size;
  });
}

// The media registry: a hard disk opened outside any VM (modifymedium on a file) is remembered
// globally by path and UUID; one attached to a VM lives in that VM's registry. A new image at a
// registered path has a new UUID and is refused until the old one is closed (the message is
// multipass#2373's; MediumImpl.cpp).
const vdiUuid = (path) => readFileSync(path).subarray(392, 408).toString("hex"); // VDI header: the image UUID at byte 392
function openHardDisk(path) {
  if (!existsSync(path)) fail(`Could not find file for the medium '${path}' (VERR_FILE_NOT_FOUND)`);
  const uuid = vdiUuid(path);
  const known = state.registry[path] ?? state.vms.flatMap((v) => v.media).find((m) => m.path === path)?.uuid;
  if (known !== undefined && known !== uuid) {
    fail(`UUID {${uuid}} of the medium '${path}' does not match the value {${known}} stored in the media registry ('~/.config/VirtualBox/VirtualBox.xml')`);
  }
  return uuid;
}

// Runs a probe listener: VirtualBox's NAT binds each forward's host side when the VM starts.
function portBusy(address, port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen({ host: address || "0.0.0.0", port: Number(port), exclusive: true }, () => server.close(() => resolve(false)));
  });
}

const NIC_KINDS = ["none", "null", "nat", "bridged", "intnet", "hostonly", "natnetwork"];
const NIC_TYPES = ["Am79C970A", "Am79C973", "82540EM", "82543GC", "82545EM", "virtio"];
const ON_OFF = ["on", "off"];
const MODIFYVM = [
  [/^--memory$/, 1],
  [/^--cpus$/, 1],
  [/^--ioapic$/, 1],
  [/^--boot[1-4]$/, 1],
  [/^--uart[1-4]$/, 2],
  [/^--uartmode[1-4]$/, 2],
  [/^--audiodriver$/, 1],
  [/^--audio$/, 1],
  [/^--rtcuseutc$/, 1],
  [/^--nic[1-8]$/, 1],
  [/^--nictype[1-8]$/, 1],
  [/^--macaddress[1-8]$/, 1],
  [/^--natpf[1-8]$/, 1],
  [/^--hostonlyadapter[1-8]$/, 1],
  [/^--intnet[1-8]$/, 1],
  [/^--bridgeadapter[1-8]$/, 1],
  [/^--nicpromisc[1-8]$/, 1],
];
// VBoxManageModifyVM.cpp: "allow-network" is the API's name (AllowNetwork) for what the manual calls allow-vms.
const PROMISC = { deny: "deny", "allow-vms": "allow-vms", "allow-network": "allow-vms", "allow-all": "allow-all" };

function modifyvm(v, opts) {
  for (const [flag, value, extra] of opts) {
    const slot = flag.match(/(\d)$/)?.[1];
    const nic = () => (v.nics[slot] ??= { kind: "none", forwards: [] });
    if (flag === "--memory" || flag === "--cpus") {
      if (!/^\d+$/.test(value)) fail(`Invalid ${flag} value '${value}'`);
      v[flag.slice(2)] = Number(value);
    } else if (flag === "--rtcuseutc" || flag === "--ioapic") {
      if (!ON_OFF.includes(value)) fail(`Invalid ${flag} argument '${value}'`);
      v.settings[flag.slice(2)] = value;
    } else if (flag.startsWith("--nictype")) {
      if (!NIC_TYPES.includes(value)) fail(`Invalid NIC type '${value}' specified for NIC ${slot}`);
      nic().type = value;
    } else if (flag.startsWith("--nicpromisc")) {
      if (!(value in PROMISC)) fail(`Unknown promiscuous mode policy '${value}'`);
      nic().promisc = PROMISC[value];
    } else if (flag.startsWith("--nic")) {
      if (!NIC_KINDS.includes(value)) fail(`Invalid type '${value}' specfied for NIC ${slot}`);
      nic().kind = value;
    } else if (flag.startsWith("--macaddress")) {
      if (!/^[0-9A-Fa-f]{12}$/.test(value)) fail(`Invalid MAC address '${value}'`);
      nic().mac = value.toUpperCase();
    } else if (flag.startsWith("--natpf")) {
      const rule = value.split(",");
      if (rule.length !== 6 || !["tcp", "udp"].includes(rule[1]) || !/^\d+$/.test(rule[3]) || !/^\d+$/.test(rule[5])) fail(`Invalid NAT rule '${value}'`);
      if (nic().forwards.some((f) => f.split(",")[0] === rule[0])) fail(`A NAT rule of this name already exists`);
      nic().forwards.push(value);
    } else if (flag.startsWith("--hostonlyadapter")) nic().hostonly = value;
    else if (flag.startsWith("--intnet")) nic().intnet = value;
    else if (flag.startsWith("--bridgeadapter")) nic().bridged = value;
    else v.settings[flag.slice(2)] = extra === undefined ? value : [value, extra];
  }
}

// `showvminfo --machinereadable` is not translated; SessionName= appears while a session holds the VM.
function machineReadable(v) {
  const lines = [`name="${v.name}"`, `CfgFile="${v.cfgFile}"`, `memory=${v.memory}`, `cpus=${v.cpus}`, `VMState="${v.state}"`];
  if (locked(v)) lines.push(`SessionName="headless"`);
  for (const [slot, nic] of Object.entries(v.nics)) {
    lines.push(`nic${slot}="${nic.kind}"`, `macaddress${slot}="${nic.mac ?? ""}"`);
    if (nic.hostonly) lines.push(`hostonlyadapter${slot}="${nic.hostonly}"`);
    nic.forwards.forEach((f, i) => lines.push(`Forwarding(${i})="${f}"`));
  }
  return `${lines.join("\n")}\n`;
}

const [command, ...rest] = args;
const out = (text) => process.stdout.write(text);
// Progress bars go to stderr (VBoxManageUtils.cpp showProgress; Vagrant's reports quote "Stderr: 0%...").
const progress = () => process.stderr.write("0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\n");
switch (command) {
  case "list": {
    const what = rest[0];
    const vmLine = (v) => `"${v.name}" {${v.uuid}}\n`;
    if (what === "vms") out(state.vms.map(vmLine).join(""));
    else if (what === "runningvms")
      out(
        state.vms
          .filter((v) => v.state === "running")
          .map(vmLine)
          .join(""),
      );
    else if (what === "hostonlyifs") {
      out(
        state.hostonlyifs
          .map(
            (h) =>
              `${tr("Name:            ", "Nom :           ")}${h.name}\n${tr("IPAddress:       ", "Adresse IP :    ")}${h.ip}\n${tr("NetworkMask:     ", "Masque réseau : ")}${h.mask}\nVBoxNetworkName: HostInterfaceNetworking-${h.name}\n\n`,
          )
          .join(""),
      );
    } else if (what === "dhcpservers") {
      out(
        state.dhcpservers
          .map(
            (d) =>
              `${tr("NetworkName:    ", "Nom du réseau : ")}${d.network}\n${tr("Dhcpd IP:       ", "IP du Dhcpd :   ")}${d.ip}\n${tr("Enabled:        Yes", "Activé :        Oui")}\n\n`,
          )
          .join(""),
      );
    } else fail(`Unknown list '${what}'`);
    break;
  }
  case "hostonlyif": {
    const [sub, name, ...opts] = rest;
    if (sub === "create") {
      // The kernel module's control device; missing when vboxnetadp is not loaded (Secure Boot,
      // no DKMS build). Message as reported in vagrant#4720 and many others (VBoxNetAdpCtl.cpp).
      if (!existsSync(join(dev, "vboxnetctl"))) {
        process.stderr.write("0%...\nProgress state: NS_ERROR_FAILURE\n");
        fail(
          "Failed to create the host-only adapter\nVBoxNetAdpCtl: Error while adding new interface: failed to open /dev/vboxnetctl: No such file or directory\nDetails: code NS_ERROR_FAILURE (0x80004005), component HostNetworkInterfaceWrap, interface IHostNetworkInterface",
        );
      }
      let n = 0;
      while (state.hostonlyifs.some((h) => h.name === `vboxnet${n}`)) n++;
      // HostImpl.cpp (createHostOnlyNetworkInterface): vboxnetN gets 192.168.(56+N).1/24 recorded,
      // applied only when a VM uses it; VBoxManage adds no DHCP server (the GUI's wizard does).
      state.hostonlyifs.push({ name: `vboxnet${n}`, ip: `192.168.${56 + n}.1`, mask: "255.255.255.0" });
      progress();
      out(tr(`Interface 'vboxnet${n}' was successfully created\n`, `L'interface 'vboxnet${n}' a été créée avec succès\n`));
    } else if (sub === "remove") {
      if (!state.hostonlyifs.some((h) => h.name === name)) fail(`could not find interface '${name}'`);
      state.hostonlyifs = state.hostonlyifs.filter((h) => h.name !== name);
      progress();
    } else if (sub === "ipconfig") {
      const iface = state.hostonlyifs.find((h) => h.name === name) ?? fail(`could not find interface '${name}'`);
      const o = Object.fromEntries(
        options(opts, [
          [/^--ip$/, 1],
          [/^--netmask$/, 1],
        ]).map(([k, v]) => [k, v]),
      );
      if (!allowedHostOnly(o["--ip"], o["--netmask"])) fail("Code E_ACCESSDENIED (0x80070005) - Access denied (extended info not available)");
      Object.assign(iface, { ip: o["--ip"], mask: o["--netmask"] });
    } else fail(`Unknown hostonlyif subcommand '${sub}'`);
    break;
  }
  case "dhcpserver": {
    // Manual 8.x "VBoxManage dhcpserver": add and remove, by --interface or --network (7.0 spells --netname --network).
    const [sub, ...opts] = rest;
    const o = Object.fromEntries(
      options(opts, [
        [/^--interface$/, 1],
        [/^--ifname$/, 1],
        [/^--network$/, 1],
        [/^--netname$/, 1],
        [/^--serverip$/, 1],
        [/^--ip$/, 1],
        [/^--netmask$/, 1],
        [/^--lowerip$/, 1],
        [/^--upperip$/, 1],
        [/^--enable$/, 0],
      ]),
    );
    const iface = o["--interface"] ?? o["--ifname"];
    const network = iface !== undefined ? `HostInterfaceNetworking-${iface}` : (o["--network"] ?? o["--netname"]);
    if (network === undefined) fail("You need to specify either --network or --interface to identify the DHCP server");
    const exists = state.dhcpservers.some((d) => d.network === network);
    if (sub === "add") {
      if (exists) fail(`DHCP server already exists (${network})`);
      state.dhcpservers.push({ network, ip: o["--serverip"] ?? o["--ip"] ?? "0.0.0.0" });
    } else if (sub === "remove") {
      if (!exists) fail(`DHCP server does not exist (${network})`);
      state.dhcpservers = state.dhcpservers.filter((d) => d.network !== network);
    } else fail(`Unsupported dhcpserver call: ${rest.join(" ")}`);
    break;
  }
  case "createvm": {
    const o = Object.fromEntries(
      options(rest, [
        [/^--name$/, 1],
        [/^--ostype$/, 1],
        [/^--basefolder$/, 1],
        [/^--register$/, 0],
      ]).map(([k, v]) => [k, v ?? true]),
    );
    if (state.vms.some((v) => v.name === o["--name"])) fail(`Machine settings file already exists for '${o["--name"]}'`);
    const dir = join(o["--basefolder"], o["--name"]);
    mkdirSync(dir, { recursive: true });
    const cfgFile = join(dir, `${o["--name"]}.vbox`);
    writeFileSync(cfgFile, "<VirtualBox/>\n");
    const uuid = `${Date.now().toString(16)}-${state.calls.length}`;
    state.vms.push({ name: o["--name"], uuid, cfgFile, dir, state: "poweroff", memory: 128, cpus: 1, nics: {}, settings: {}, controllers: {}, media: [] });
    out(`Virtual machine '${o["--name"]}' is created and registered.\nUUID: ${uuid}\n`);
    break;
  }
  case "modifyvm":
    modifyvm(unlocked(vm(rest[0])), options(rest.slice(1), MODIFYVM));
    break;
  case "modifymedium": {
    const [kind, path, ...opts] = rest;
    if (kind !== "disk") fail(`Unsupported medium kind '${kind}'`);
    const o = options(opts, [[/^--resize$/, 1]]);
    const uuid = openHardDisk(path);
    // Opened outside a VM, the disk stays in the global registry (VirtualBox.xml) until closemedium.
    if (!state.vms.some((v) => v.media.some((m) => m.path === path))) state.registry[path] = uuid;
    state.resized = { ...state.resized, [path]: Number(o[0][1]) };
    progress();
    break;
  }
  case "closemedium": {
    const [kind, path] = rest;
    if (kind !== "disk" || state.registry[path] === undefined) fail(`Could not find file for the medium '${path}' (VERR_FILE_NOT_FOUND)`);
    delete state.registry[path];
    break;
  }
  case "storagectl": {
    const v = unlocked(vm(rest[0]));
    const o = Object.fromEntries(
      options(rest.slice(1), [
        [/^--name$/, 1],
        [/^--add$/, 1],
        [/^--controller$/, 1],
        [/^--portcount$/, 1],
      ]),
    );
    v.controllers[o["--name"]] = { bus: o["--add"], controller: o["--controller"], ports: Number(o["--portcount"] ?? 1) };
    break;
  }
  case "storageattach": {
    const v = unlocked(vm(rest[0]));
    const o = Object.fromEntries(
      options(rest.slice(1), [
        [/^--storagectl$/, 1],
        [/^--port$/, 1],
        [/^--device$/, 1],
        [/^--type$/, 1],
        [/^--medium$/, 1],
      ]),
    );
    const ctl = v.controllers[o["--storagectl"]] ?? fail(`Could not find a storage controller named '${o["--storagectl"]}'`);
    if (Number(o["--port"]) >= ctl.ports) fail(`The port ${o["--port"]} is out of range`);
    if (!["hdd", "dvddrive"].includes(o["--type"])) fail(`Invalid --type argument '${o["--type"]}'`);
    if (o["--type"] === "hdd") {
      const uuid = openHardDisk(o["--medium"]);
      v.media.push({ controller: o["--storagectl"], port: Number(o["--port"]), type: "hdd", path: o["--medium"], uuid });
    } else {
      if (!existsSync(o["--medium"])) fail(`Could not find file for the medium '${o["--medium"]}' (VERR_FILE_NOT_FOUND)`);
      v.media.push({ controller: o["--storagectl"], port: Number(o["--port"]), type: "dvddrive", path: o["--medium"] });
    }
    break;
  }
  case "startvm": {
    const v = unlocked(vm(rest[0]));
    const o = Object.fromEntries(options(rest.slice(1), [[/^--type$/, 1]]));
    if (o["--type"] !== "headless") fail("the stand-in only starts headless VMs");
    // Without the vboxdrv module (not built for this kernel, Secure Boot) every start fails;
    // the message is the one `VBoxManage startvm` gives (SUPLib, VERR_VM_DRIVER_NOT_INSTALLED).
    if (!existsSync(join(dev, "vboxdrv"))) {
      fail(
        `The virtual machine '${v.name}' has terminated unexpectedly during startup with exit code 1 (0x1)\nDetails: code NS_ERROR_FAILURE (0x80004005), component MachineWrap, interface IMachine\nKernel driver not installed (rc=-1908)`,
      );
    }
    for (const [slot, nic] of Object.entries(v.nics)) {
      if (nic.kind === "hostonly" && !state.hostonlyifs.some((h) => h.name === nic.hostonly)) {
        fail(`Nonexistent host networking interface, name '${nic.hostonly}' (VERR_INTERNAL_ERROR) on NIC ${slot}`);
      }
      for (const rule of nic.kind === "nat" ? nic.forwards : []) {
        const [, , address, port] = rule.split(",");
        // DrvNAT.cpp: a forward whose host port is taken stops the VM's start.
        if (await portBusy(address, port))
          fail(
            `NAT#${Number(slot) - 1}: configuration error: failed to set up redirection of ${port} to 22. Probably a conflict with existing services or other rules (VERR_NAT_REDIR_SETUP).`,
          );
      }
    }
    v.state = "running";
    out(`Waiting for VM "${v.name}" to power on...\nVM "${v.name}" has been successfully started.\n`);
    break;
  }
  case "controlvm": {
    const v = vm(rest[0]);
    if (rest[1] !== "poweroff" && rest[1] !== "savestate") fail(`Unsupported controlvm action '${rest[1]}'`);
    if (v.state !== "running") fail(`Machine '${v.name}' is not currently running`);
    // Manual 8.13 "VBoxManage controlvm": savestate saves the VM's state to disk and stops it;
    // startvm then resumes it (VMState "saved").
    v.state = rest[1] === "savestate" ? "saved" : "poweroff";
    v.unlockAtCall = state.calls.length + UNLOCK_AFTER_CALLS;
    progress();
    break;
  }
  case "snapshot": {
    // Manual 8.12 "VBoxManage snapshot": take [--live] (a running VM keeps running; its state is
    // saved with the snapshot), restore (the VM must not run: Console.cpp restoreSnapshot refuses a
    // running machine), delete, list --machinereadable (SnapshotName="", then SnapshotName-1=...).
    const v = vm(rest[0]);
    v.snapshots ??= [];
    const [verb, name] = rest.slice(1);
    const find = () => v.snapshots.find((x) => x.name === name) ?? fail(`Could not find a snapshot named '${name}'`);
    if (verb === "take") {
      const o = Object.fromEntries(
        options(rest.slice(3), [
          [/^--live$/, 0],
          [/^--description$/, 1],
        ]),
      );
      if (v.state === "running" && !("--live" in o)) v.pausedForSnapshot = true;
      v.snapshots.push({ name, state: v.state === "running" ? "saved" : v.state, memory: v.memory, nics: structuredClone(v.nics) });
      progress();
    } else if (verb === "restore") {
      const snap = find();
      if (v.state === "running") fail(`Machine '${v.name}' is running: it must be powered off or saved to restore a snapshot (VBOX_E_INVALID_VM_STATE)`);
      v.state = snap.state;
      v.restoredFrom = name;
      progress();
    } else if (verb === "delete") {
      find();
      v.snapshots = v.snapshots.filter((x) => x.name !== name);
      progress();
    } else if (verb === "list") {
      if (rest[2] !== "--machinereadable") fail("the stand-in only lists --machinereadable");
      if (v.snapshots.length === 0) {
        out("This machine does not have any snapshots\n");
        process.exitCode = 1;
      } else out(v.snapshots.map((x, i) => `SnapshotName${i === 0 ? "" : `-${i}`}="${x.name}"\n`).join(""));
    } else fail(`Unsupported snapshot action '${verb}'`);
    break;
  }
  case "showvminfo": {
    if (rest[1] !== "--machinereadable") fail("the stand-in only answers --machinereadable");
    out(machineReadable(vm(rest[0])));
    break;
  }
  case "unregistervm": {
    const v = vm(rest[0]);
    if (locked(v))
      fail(
        `Cannot unregister the machine '${v.name}' while it is locked\nDetails: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine`,
      );
    if (rest[1] === "--delete") {
      // Manual 8.x "VBoxManage unregistervm": --delete removes the hard disks, the settings file,
      // logs and saved states, then the machine folder if nothing else is left in it. DVD images
      // (the seed) are detached, not deleted.
      for (const m of v.media.filter((x) => x.type === "hdd")) {
        rmSync(m.path, { force: true });
        delete state.registry[m.path];
      }
      rmSync(v.cfgFile, { force: true });
      rmSync(join(v.dir, "Logs"), { recursive: true, force: true });
      if (existsSync(v.dir) && readdirSync(v.dir).length === 0) rmSync(v.dir, { recursive: true });
    }
    state.vms = state.vms.filter((x) => x !== v);
    break;
  }
  default:
    fail(`Unknown command '${command}'`);
}
save();
