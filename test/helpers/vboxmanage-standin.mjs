// A stand-in for VBoxManage, for running provisioning/virtualbox/*.sh where VirtualBox cannot be
// installed (Debian 12 does not ship it and our machines reach no other archive). It keeps the
// host's VirtualBox state in a JSON file and refuses what VirtualBox refuses that matters to the
// scripts: unknown options and values, changing a running VM, starting a running one, NICs on
// host-only interfaces that do not exist, media that are not files, host-only addresses outside
// /etc/vbox/networks.conf. It boots nothing: the real VM runs of the same lab are QEMU's.
// Environment: VBOX_STANDIN_STATE (the JSON file), VBOX_NETWORKS_CONF (default /etc/vbox/networks.conf)
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const statePath = process.env.VBOX_STANDIN_STATE;
if (!statePath) fail("VBOX_STANDIN_STATE is not set");
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : { hostonlyifs: [], dhcpservers: [], vms: [], calls: [] };
const args = process.argv.slice(2);
state.calls.push(args);

function fail(message) {
  if (statePath && state) save();
  process.stderr.write(`VBoxManage: error: ${message}\n`);
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
function unlocked(v) {
  if (v.state === "running") fail(`The machine '${v.name}' is already locked for a session (or being unlocked)`);
  return v;
}
/** `--key value` pairs in order; a flag this command does not know is an error, as in VBoxManage. */
function options(list, known) {
  const out = [];
  for (let i = 0; i < list.length; i++) {
    const [flag, inline] = list[i].split(/=(.*)/s);
    const spec = known.find(([pattern]) => pattern.test(flag));
    if (!spec) fail(`Unknown option: ${list[i]}`);
    const arity = spec[1];
    const values = inline !== undefined ? [inline] : list.slice(i + 1, i + 1 + arity);
    if (values.length < arity) fail(`Missing value for ${flag}`);
    if (inline === undefined) i += arity;
    out.push([flag, ...values]);
  }
  return out;
}
const ipv4 = (text) => text.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
function allowedHostOnly(ip, mask) {
  const conf = process.env.VBOX_NETWORKS_CONF ?? "/etc/vbox/networks.conf";
  const ranges = existsSync(conf)
    ? readFileSync(conf, "utf8").split("\n").filter((l) => l.startsWith("* ")).flatMap((l) => l.slice(2).trim().split(/\s+/))
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

const NIC_KINDS = ["none", "null", "nat", "bridged", "intnet", "hostonly", "natnetwork"];
const NIC_TYPES = ["Am79C970A", "Am79C973", "82540EM", "82543GC", "82545EM", "virtio"];
const MODIFYVM = [
  [/^--memory$/, 1], [/^--cpus$/, 1], [/^--ioapic$/, 1], [/^--boot[1-4]$/, 1], [/^--uart[1-4]$/, 2], [/^--uartmode[1-4]$/, 2],
  [/^--audio-driver$/, 1], [/^--nic[1-8]$/, 1], [/^--nictype[1-8]$/, 1], [/^--macaddress[1-8]$/, 1], [/^--natpf[1-8]$/, 1],
  [/^--hostonlyadapter[1-8]$/, 1], [/^--intnet[1-8]$/, 1], [/^--bridgeadapter[1-8]$/, 1], [/^--nicpromisc[1-8]$/, 1],
];

function modifyvm(v, opts) {
  for (const [flag, value, extra] of opts) {
    const slot = flag.match(/(\d)$/)?.[1];
    const nic = () => (v.nics[slot] ??= { kind: "none", forwards: [] });
    if (flag === "--memory" || flag === "--cpus") {
      if (!/^\d+$/.test(value)) fail(`Invalid ${flag} value '${value}'`);
      v[flag.slice(2)] = Number(value);
    } else if (flag.startsWith("--nictype")) {
      if (!NIC_TYPES.includes(value)) fail(`Invalid NIC type '${value}' specified for NIC ${slot}`);
      nic().type = value;
    } else if (flag.startsWith("--nicpromisc")) {
      if (!["deny", "allow-vms", "allow-all"].includes(value)) fail(`Unknown promiscuous mode policy '${value}'`);
      nic().promisc = value;
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

function machineReadable(v) {
  const lines = [`name="${v.name}"`, `CfgFile="${v.cfgFile}"`, `memory=${v.memory}`, `cpus=${v.cpus}`, `VMState="${v.state}"`];
  for (const [slot, nic] of Object.entries(v.nics)) {
    lines.push(`nic${slot}="${nic.kind}"`, `macaddress${slot}="${nic.mac ?? ""}"`);
    if (nic.hostonly) lines.push(`hostonlyadapter${slot}="${nic.hostonly}"`);
    nic.forwards.forEach((f, i) => lines.push(`Forwarding(${i})="${f}"`));
  }
  return lines.join("\n") + "\n";
}

const [command, ...rest] = args;
const out = (text) => process.stdout.write(text);
switch (command) {
  case "list": {
    const what = rest[0];
    if (what === "vms") out(state.vms.map((v) => `"${v.name}" {${v.uuid}}\n`).join(""));
    else if (what === "hostonlyifs") out(state.hostonlyifs.map((h) => `Name:            ${h.name}\nIPAddress:       ${h.ip}\nNetworkMask:     ${h.mask}\nVBoxNetworkName: HostInterfaceNetworking-${h.name}\n\n`).join(""));
    else if (what === "dhcpservers") out(state.dhcpservers.map((d) => `NetworkName:    ${d}\nDhcpd IP:       192.168.56.100\nEnabled:        Yes\n\n`).join(""));
    else fail(`Unknown list '${what}'`);
    break;
  }
  case "hostonlyif": {
    const [sub, name, ...opts] = rest;
    if (sub === "create") {
      let n = 0;
      while (state.hostonlyifs.some((h) => h.name === `vboxnet${n}`)) n++;
      // What the GUI does on creating one, the worst case for the scripts: an address and a DHCP server.
      state.hostonlyifs.push({ name: `vboxnet${n}`, ip: "192.168.56.1", mask: "255.255.255.0" });
      state.dhcpservers.push(`HostInterfaceNetworking-vboxnet${n}`);
      out(`0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\nInterface 'vboxnet${n}' was successfully created\n`);
    } else if (sub === "remove") {
      if (!state.hostonlyifs.some((h) => h.name === name)) fail(`could not find interface '${name}'`);
      state.hostonlyifs = state.hostonlyifs.filter((h) => h.name !== name);
    } else if (sub === "ipconfig") {
      const iface = state.hostonlyifs.find((h) => h.name === name) ?? fail(`could not find interface '${name}'`);
      const o = Object.fromEntries(options(opts, [[/^--ip$/, 1], [/^--netmask$/, 1]]).map(([k, v]) => [k, v]));
      if (!allowedHostOnly(o["--ip"], o["--netmask"])) fail("Code E_ACCESSDENIED (0x80070005) - Access denied (extended info not available)");
      Object.assign(iface, { ip: o["--ip"], mask: o["--netmask"] });
    } else fail(`Unknown hostonlyif subcommand '${sub}'`);
    break;
  }
  case "dhcpserver": {
    const [sub, ...opts] = rest;
    const o = options(opts, [[/^--interface$/, 1]]);
    if (sub !== "remove" || o.length !== 1) fail(`Unsupported dhcpserver call: ${rest.join(" ")}`);
    const network = `HostInterfaceNetworking-${o[0][1]}`;
    if (!state.dhcpservers.includes(network)) fail(`DHCP server does not exist (${network})`);
    state.dhcpservers = state.dhcpservers.filter((d) => d !== network);
    break;
  }
  case "createvm": {
    const o = Object.fromEntries(options(rest, [[/^--name$/, 1], [/^--ostype$/, 1], [/^--basefolder$/, 1], [/^--register$/, 0]]).map(([k, v]) => [k, v ?? true]));
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
    if (kind !== "disk" || !existsSync(path)) fail(`Could not find file for the medium '${path}'`);
    const o = options(opts, [[/^--resize$/, 1]]);
    state.resized = { ...state.resized, [path]: Number(o[0][1]) };
    break;
  }
  case "storagectl": {
    const v = unlocked(vm(rest[0]));
    const o = Object.fromEntries(options(rest.slice(1), [[/^--name$/, 1], [/^--add$/, 1], [/^--controller$/, 1], [/^--portcount$/, 1]]));
    v.controllers[o["--name"]] = { bus: o["--add"], controller: o["--controller"], ports: Number(o["--portcount"] ?? 1) };
    break;
  }
  case "storageattach": {
    const v = unlocked(vm(rest[0]));
    const o = Object.fromEntries(options(rest.slice(1), [[/^--storagectl$/, 1], [/^--port$/, 1], [/^--device$/, 1], [/^--type$/, 1], [/^--medium$/, 1]]));
    const ctl = v.controllers[o["--storagectl"]] ?? fail(`Could not find a storage controller named '${o["--storagectl"]}'`);
    if (Number(o["--port"]) >= ctl.ports) fail(`The port ${o["--port"]} is out of range`);
    if (!["hdd", "dvddrive"].includes(o["--type"]) || !existsSync(o["--medium"])) fail(`Could not find file for the medium '${o["--medium"]}'`);
    v.media.push({ controller: o["--storagectl"], port: Number(o["--port"]), type: o["--type"], path: o["--medium"] });
    break;
  }
  case "startvm": {
    const v = unlocked(vm(rest[0]));
    const o = Object.fromEntries(options(rest.slice(1), [[/^--type$/, 1]]));
    if (o["--type"] !== "headless") fail("the stand-in only starts headless VMs");
    for (const [slot, nic] of Object.entries(v.nics)) {
      if (nic.kind === "hostonly" && !state.hostonlyifs.some((h) => h.name === nic.hostonly)) {
        fail(`Nonexistent host networking interface, name '${nic.hostonly}' (VERR_INTERNAL_ERROR) on NIC ${slot}`);
      }
    }
    v.state = "running";
    out(`Waiting for VM "${v.name}" to power on...\nVM "${v.name}" has been successfully started.\n`);
    break;
  }
  case "controlvm": {
    const v = vm(rest[0]);
    if (rest[1] !== "poweroff") fail(`Unsupported controlvm action '${rest[1]}'`);
    if (v.state !== "running") fail(`Machine '${v.name}' is not currently running`);
    v.state = "poweroff";
    break;
  }
  case "showvminfo": {
    if (rest[1] !== "--machinereadable") fail("the stand-in only answers --machinereadable");
    out(machineReadable(vm(rest[0])));
    break;
  }
  case "unregistervm": {
    const v = unlocked(vm(rest[0]));
    if (rest[1] === "--delete") {
      // Like VirtualBox: the hard disks go, DVD images (the seed) stay.
      for (const m of v.media.filter((x) => x.type === "hdd")) rmSync(m.path, { force: true });
      rmSync(v.cfgFile, { force: true });
      rmSync(v.dir, { recursive: true, force: true });
    }
    state.vms = state.vms.filter((x) => x !== v);
    break;
  }
  default:
    fail(`Unknown command '${command}'`);
}
save();
