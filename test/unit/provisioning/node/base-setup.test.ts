// node/base-setup.sh, the first step on every node, run for real as a node gets it (the plan's own
// step, its bundle on `bash -s up`) in a mount and UTS namespace that stands in for the node: the
// node's name as hostname, its /etc the machine's under an overlay whose upper folder is the
// test's (what the script writes lands there; /etc/hosts starts as the lab's Ubuntu cloud image
// ships it), /run with cloud-init's result.json (cloud-init finished), /sys/class/net with the
// node's NICs under the posts' names, and stand-ins for what would reach beyond the node: `ip`
// (the NICs are up), `netplan` and `dpkg-query` (a baked image's packages are there). Names are
// looked up through /etc/hosts alone (nsswitch `hosts: files`): a name found needs no DNS, which
// is what sudo waited seconds on ("sudo: unable to resolve host boxB"). Skipped where the machine
// allows no namespaces (unprivileged user namespaces turned off).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeStdin, type Step } from "../../../../plan/steps.js";
import type { LabPlan, NodePlan } from "../../../../plan/types.js";
import type { NetworkLabConfig } from "../../../../stacks/network/model.js";
import { networkBaseStep } from "../../../../stacks/network/plan.js";
import type { OpenStackLabConfig } from "../../../../stacks/openstack/model.js";
import { planOpenStack } from "../../../../stacks/openstack/plan.js";
import { labPlan, stackLab } from "../../../helpers/labs.js";

/** /etc/hosts of Ubuntu's cloud images: no line for the machine's own name (the seed has
 * manage_etc_hosts: false, so cloud-init adds none). */
const CLOUD_IMAGE_HOSTS = `127.0.0.1 localhost

# The following lines are desirable for IPv6 capable hosts
::1 ip6-localhost ip6-loopback
fe00::0 ip6-localnet
ff00::0 ip6-mcastprefix
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
ff02::3 ip6-allhosts
`;

/** Root in a new mount and UTS namespace: as root, or as the user mapped to root. */
const UNSHARE = process.getuid?.() === 0 ? ["--mount", "--uts"] : ["--user", "--map-root-user", "--mount", "--uts"];

/** Whether this machine lets the test make such a namespace, with the mounts the test makes in it. */
function namespacesWork(): boolean {
  const dir = mkdtempSync(join(tmpdir(), "labstack-ns-probe-"));
  try {
    chmodSync(dir, 0o755);
    for (const d of ["lower", "upper", "work", "empty"]) mkdirSync(join(dir, d));
    const mounts = [
      `mount -t overlay overlay -o lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work ${dir}/lower`,
      `mount --bind ${dir}/empty /run`,
      `mount --bind ${dir}/empty /sys/class/net`,
      "hostname probe",
    ];
    return spawnSync("unshare", [...UNSHARE, "bash", "-c", mounts.join(" && ")], { stdio: "ignore" }).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stand-ins for what reaches beyond the node; each notes what it was asked in `log` (a bundle runs
 * its script from an empty environment, so the path is in their text). */
const standIns = (log: string): Record<string, string> => ({
  // The NICs are up; nothing else is asked of ip on a node whose NICs have the posts' names.
  ip: `#!/bin/bash\necho "ip $*" >> '${log}'\n[[ "$1 $2 $3 $4" == "-o link show dev" ]] || exit 2\necho "2: $5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500"\n`,
  netplan: `#!/bin/bash\necho "netplan $*" >> '${log}'\n`,
  // A baked image: every package is there.
  "dpkg-query": "#!/bin/bash\nprintf 'install ok installed'\n",
  "apt-get": `#!/bin/bash\necho "apt-get $*" >> '${log}'\nexit 1\n`,
  // An image with cloud-init (the script only looks it up: it waits for its result.json).
  "cloud-init": `#!/bin/bash\necho "cloud-init $*" >> '${log}'\nexit 2\n`,
});

interface NodeRun {
  /** Each run of the step: exit status and what it printed. */
  readonly runs: { status: number; stdout: string; stderr: string }[];
  /** /etc/hosts afterwards. */
  readonly hosts: string;
  /** What the node resolves each name to through /etc/hosts ("" when nothing), its own hostname as `self`. */
  readonly resolves: Record<string, string>;
  /** What the stand-ins were asked. */
  readonly asked: string[];
  /** Whether /etc/cloud/cloud-init.disabled was written (later boots skip cloud-init). */
  readonly cloudInitOff: boolean;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-base-setup-"));
  // A user mapped to root must reach the folders it mounts and writes.
  chmodSync(dir, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `step` on a stand-in of `node` `times` times, then asks it for `names` (and its own hostname). */
function onNode(
  node: NodePlan,
  step: Step,
  opts: { imageHosts?: string; names?: readonly string[]; times?: number; rebootAfterFirst?: boolean } = {},
): NodeRun {
  const upper = join(dir, "etc-upper");
  const bin = join(dir, "bin");
  const net = join(dir, "class-net");
  // The folders the script writes in, the test's own: a user mapped to root may not write in the
  // machine's (root's) /etc/apt/apt.conf.d, even under the overlay.
  for (const d of [
    upper,
    join(upper, "netplan"),
    join(dir, "etc-cloud"),
    join(upper, "apt", "apt.conf.d"),
    join(dir, "etc-work"),
    join(dir, "run", "cloud-init"),
    bin,
    net,
  ])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(upper, "hosts"), opts.imageHosts ?? CLOUD_IMAGE_HOSTS);
  writeFileSync(join(upper, "nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files\n");
  writeFileSync(join(upper, "os-release"), 'ID=ubuntu\nVERSION_CODENAME=noble\nPRETTY_NAME="Ubuntu 24.04 LTS"\n');
  writeFileSync(join(dir, "run", "cloud-init", "result.json"), "{}\n");
  for (const nic of node.nics) {
    mkdirSync(join(net, nic.device, "device"), { recursive: true });
    writeFileSync(join(net, nic.device, "address"), `${nic.mac}\n`);
  }
  for (const [name, text] of Object.entries(standIns(join(dir, "asked")))) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(join(dir, "bundle"), nodeStdin(step));
  const times = opts.times ?? 2;
  const program = [
    "set -euo pipefail",
    `mount -t overlay overlay -o lowerdir=/etc,upperdir="$T/etc-upper",workdir="$T/etc-work" /etc`,
    // This machine's own cloud-init is off (scripts/install-deps.sh): the node's is not, yet.
    'mount --bind "$T/etc-cloud" /etc/cloud',
    'mount --bind "$T/run" /run',
    'mount --bind "$T/class-net" /sys/class/net',
    'hostname "$NODE"',
    `for i in $(seq ${times}); do`,
    '  s=0; bash -s up < "$T/bundle" > "$T/out.$i" 2> "$T/err.$i" || s=$?; echo "$s" > "$T/status.$i"',
    // A later boot of the node: /run is new, and cloud-init, turned off, writes nothing in it.
    '  [[ -z "$REBOOT" ]] || rm -f /run/cloud-init/result.json',
    "done",
    'for name in self $NAMES; do [[ $name == self ]] && ask=$(hostname) || ask=$name; echo "$name $(getent ahostsv4 "$ask" | awk \'NR == 1 { print $1 }\')"; done > "$T/resolves"',
  ].join("\n");
  const r = spawnSync("unshare", [...UNSHARE, "bash", "-c", program], {
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: join(dir, "home"),
      T: dir,
      NODE: node.name,
      NAMES: (opts.names ?? []).join(" "),
      REBOOT: opts.rebootAfterFirst ? "1" : "",
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), "utf8");
    } catch {
      return "";
    }
  };
  return {
    runs: Array.from({ length: times }, (_, i) => ({ status: Number(read(`status.${i + 1}`)), stdout: read(`out.${i + 1}`), stderr: read(`err.${i + 1}`) })),
    hosts: read("etc-upper/hosts"),
    resolves: Object.fromEntries(
      read("resolves")
        .trim()
        .split("\n")
        .map((l) => [l.split(" ")[0], l.split(" ")[1] ?? ""]),
    ),
    asked: read("asked").trim().split("\n").filter(Boolean),
    cloudInitOff: read("etc-cloud/cloud-init.disabled") !== "",
  };
}

const networkPlan = (stack: string) => labPlan(stackLab(stack), stack) as LabPlan<NetworkLabConfig>;
const changes = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("labstack: changed"));

describe.skipIf(!namespacesWork())("node/base-setup.sh: a node resolves its own name without DNS", () => {
  it("a networking lab's box without an address of its own (lab 5's bridge) resolves itself, and every other box, from /etc/hosts; a second run changes nothing", () => {
    const plan = networkPlan("net-lab5");
    const boxB = plan.node("boxB");
    const r = onNode(boxB, networkBaseStep(plan, "boxB"), { names: ["boxA", "boxC"] });
    expect(r.runs[0].status, r.runs[0].stderr).toBe(0);
    expect(r.resolves).toEqual({ self: "127.0.1.1", boxA: "192.168.50.4", boxC: "192.168.60.4" });
    // The image's own lines stay; the lab's lines follow them in their block.
    expect(r.hosts).toBe(`${CLOUD_IMAGE_HOSTS}# BEGIN labstack\n192.168.50.4 boxA\n127.0.1.1 boxB\n192.168.60.4 boxC\n# END labstack\n`);
    expect(changes(r.runs[0].stdout)).toContain("labstack: changed /etc/hosts");
    expect(r.runs[1]).toEqual({ status: 0, stdout: "", stderr: "" });
    // Its two bridge ports were up already; their netplan files were written (and applied) once.
    expect(r.asked.filter((a) => a.startsWith("netplan"))).toEqual(["netplan apply", "netplan apply"]);
    expect(readFileSync(join(dir, "etc-upper", "netplan", "90-labstack-enp0s9.yaml"), "utf8")).toContain("enp0s9:");
  });

  it("the NAT lab's only box (no address but its DHCP one) resolves itself", () => {
    const plan = networkPlan("net-lab1");
    const r = onNode(plan.node("boxA"), networkBaseStep(plan, "boxA"));
    expect(r.runs.map((run) => run.status)).toEqual([0, 0]);
    expect(r.resolves).toEqual({ self: "127.0.1.1" });
    expect(changes(r.runs[1].stdout)).toEqual([]);
  });

  it("a box with an address resolves itself to it, the others to theirs, and no name to loopback", () => {
    const plan = networkPlan("net-lab3");
    const r = onNode(plan.node("boxB"), networkBaseStep(plan, "boxB"), { names: ["boxA"] });
    expect(r.runs[0].status, r.runs[0].stderr).toBe(0);
    expect(r.resolves).toEqual({ self: "192.168.50.5", boxA: "192.168.50.4" });
    expect(r.hosts).not.toContain("127.0.1.1");
  });

  it("an OpenStack node resolves itself to its management address, never to the 127.0.1.1 alias an image may carry", () => {
    const plan = labPlan(stackLab("dev"), "dev") as LabPlan<OpenStackLabConfig>;
    const compute2 = planOpenStack(plan).nodes.find((n) => n.node === "compute2")!;
    const r = onNode(plan.node("compute2"), compute2.base, {
      // A machine made by Debian's installer names itself on the alias.
      imageHosts: "127.0.0.1 localhost\n127.0.1.1 compute2\n\n::1 localhost ip6-localhost ip6-loopback\n",
      names: ["controller", "compute1"],
    });
    expect(r.runs[0].status, r.runs[0].stderr).toBe(0);
    expect(r.resolves).toEqual({ self: "192.168.1.22", controller: "192.168.1.11", compute1: "192.168.1.21" });
    expect(r.hosts).not.toContain("127.0.1.1");
    expect(r.runs[1]).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("turns cloud-init off once it is done, so later boots skip it, and runs again after such a boot without waiting for the result.json none writes", () => {
    const plan = labPlan(stackLab("dev"), "dev") as LabPlan<OpenStackLabConfig>;
    const compute1 = planOpenStack(plan).nodes.find((n) => n.node === "compute1")!;
    const r = onNode(plan.node("compute1"), compute1.base, { rebootAfterFirst: true });
    expect(r.cloudInitOff, JSON.stringify(r.runs)).toBe(true);
    expect(changes(r.runs[0].stdout)).toContain("labstack: changed /etc/cloud/cloud-init.disabled");
    expect(r.runs[1]).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(r.asked.filter((a) => a.startsWith("cloud-init"))).toEqual([]);
  });
});
