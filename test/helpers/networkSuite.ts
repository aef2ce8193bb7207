// The networking labs through the real engine on QEMU, each in a namespace of its own: `up` with
// every check green, a second `up` that does nothing, breakages that must make `up` (or the
// verify command) fail naming the check, the repair, and a destroy that leaves nothing. The labs
// are split over files (lab-network-*.test.ts), each on a namespace link of its own: labs 5 and 8,
// where the learner's everyday commands are tested, run in CI; the others in the full VM run.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostBridgeName } from "../../plan/bridge.js";
import { shellQuote } from "../../plan/scripts.js";
import { changed, cleanStale, type EngineLab, openEngineLab } from "./engineLab.js";
import { labPlan, ROOT } from "./labs.js";
import { namespaceLinks, THROWAWAY_SSH } from "./netns.js";

const suite = (stack: string) => stack.replace(/^net-/, "");

/** ssh's arguments to a node's forward as the lab's user (then the command). */
const nodeSsh = (lab: EngineLab, port: number) => ["-i", join(lab.credentialsDir, "lab-key"), "-p", String(port), ...THROWAWAY_SSH, "stack@127.0.0.1"];

/** The posts' labs use VirtualBox and Ubuntu; here QEMU boots a Debian image the lab builds. */
export const onQemu = (raw: Record<string, any>) => {
  raw.hypervisor = { kind: "qemu", accel: "auto" };
  raw.image = { build: { distro: "debian", release: "bookworm" } };
};

/** A breakage the lab's checks must catch: by config (then `up` fails) or by hand (then verify fails). */
interface Breakage {
  readonly what: string;
  readonly check: string;
  readonly expected: string;
  break(lab: EngineLab): void;
  repair(lab: EngineLab): void;
  readonly byHand?: boolean;
  /** The same fault made in the config: the model refuses it, naming both ends, before anything changes. */
  readonly inConfig?: { readonly what: string; apply(lab: EngineLab): void; undo(lab: EngineLab): void; readonly refusal: string };
}

/** Sets `values` on the raw config items that `which` picks. */
const setOn = (items: any[], which: (item: any) => boolean, values: Record<string, unknown>) => {
  for (const item of items.filter(which)) Object.assign(item, values);
};

const hostBridge = (lab: EngineLab, network: number) => {
  const plan = labPlan(lab.raw, lab.stack.name);
  return hostBridgeName(plan.name, plan.networks[network]);
};

/** boxB (SSH forward 2200) answers pings, or ignores them all: a wire fault no config can see. */
const boxBAnswersPings = (lab: EngineLab, answers: boolean) =>
  expect(lab.onNode(2200, `sudo sysctl -qw net.ipv4.icmp_echo_ignore_all=${answers ? 0 : 1}`).status).toBe(0);

const breakages: Record<string, Breakage> = {
  "net-lab4": {
    what: "the host gets an address on the internal network",
    check: "3-host-ping-host",
    expected: "ping 192.168.50.4 from the lab host: answered, but it must be isolated",
    byHand: true,
    break: (lab) => execFileSync("ip", ["-n", lab.ns.name, "addr", "add", "192.168.50.1/24", "dev", hostBridge(lab, 1)]),
    repair: (lab) => execFileSync("ip", ["-n", lab.ns.name, "addr", "del", "192.168.50.1/24", "dev", hostBridge(lab, 1)]),
  },
  // A VLAN id or a VXLAN port that only one end has is a config error now (both ends must agree):
  // the wire breaks by hand instead, where no config can see it (a node that stops answering).
  "net-lab8": {
    what: "boxB stops answering pings on its VLANs",
    check: "2-ping-boxc",
    expected: "ping 192.168.70.5 from boxC: no answer",
    byHand: true,
    break: (lab) => boxBAnswersPings(lab, false),
    repair: (lab) => boxBAnswersPings(lab, true),
    inConfig: {
      what: "boxB's VLAN 200 device becomes VLAN 201",
      apply: (lab) => setOn(lab.raw.guest.vlans, (v) => v.node === "boxB" && v.id === 200, { id: 201 }),
      undo: (lab) => setOn(lab.raw.guest.vlans, (v) => v.node === "boxB" && v.id === 201, { id: 200 }),
      refusal:
        "labstack:lab.checks[1].expect: reach, but node 'boxC' shares no network, VLAN or overlay with 192.168.70.5 (node 'boxB', labstack:lab.guest.vlans[2].ip)",
    },
  },
  "net-lab9": {
    what: "boxB stops answering pings on its VXLAN",
    check: "1-ping-boxa",
    expected: "ping 192.168.60.5 from boxA: no answer",
    byHand: true,
    break: (lab) => boxBAnswersPings(lab, false),
    repair: (lab) => boxBAnswersPings(lab, true),
    inConfig: {
      what: "boxB's VXLAN listens on UDP 4790",
      apply: (lab) => setOn(lab.raw.guest.vxlans, (v) => v.node === "boxB", { port: 4790 }),
      undo: (lab) => setOn(lab.raw.guest.vxlans, (v) => v.node === "boxB", { port: 4789 }),
      refusal: "labstack:lab.guest.vxlans[1].port: 4790 differs from the other end's labstack:lab.guest.vxlans[0].port (4789)",
    },
  },
};

export function networkLabSuite(labs: readonly string[], link: number): void {
  beforeAll(() => labs.forEach((stack) => cleanStale(suite(stack), link)));

  describe.sequential.each(labs)("%s through the engine", (stack) => {
    let lab: EngineLab;
    let started: number;

    beforeAll(async () => {
      started = performance.now();
      lab = await openEngineLab(suite(stack), stack, link, onQemu);
    });
    afterAll(() => lab?.close());

    const verify = () => lab.inNamespace(["bash", "scripts/verify.sh", stack], lab.env);

    it("comes up with every check green", async () => {
      const up = await lab.up();
      expect(up.summary.result).toBe("succeeded");
      const checks = (await lab.stack.outputs()).checks.value as Record<string, string>;
      expect(Object.keys(checks)).toHaveLength(lab.raw.checks.length);
      for (const [name, out] of Object.entries(checks)) expect(out, name).toMatch(/^ok: /m);
    });

    it("a second up changes nothing", async () => {
      expect(changed(await lab.up())).toEqual({});
    });

    const breakage = breakages[stack];
    if (breakage !== undefined) {
      it(`fails naming check ${breakage.check} when ${breakage.what}, and recovers`, async () => {
        breakage.break(lab);
        let failure: string;
        if (breakage.byHand) {
          const r = verify();
          expect(r.status).not.toBe(0);
          failure = r.stdout + r.stderr;
        } else {
          lab.writeConfig();
          failure = await lab.up().then(
            () => "up succeeded",
            (e: Error) => e.message,
          );
        }
        expect(failure).toContain(`${stack}-check-${breakage.check}`);
        expect(failure).toContain(breakage.expected);
        breakage.repair(lab);
        if (breakage.byHand) expect(verify().status).toBe(0);
        else {
          lab.writeConfig();
          expect((await lab.up()).summary.result).toBe("succeeded");
        }
      });
    }
    const inConfig = breakage?.inConfig;
    if (inConfig !== undefined) {
      it(`refuses the config where ${inConfig.what}, naming both ends, and changes nothing`, async () => {
        inConfig.apply(lab);
        lab.writeConfig();
        try {
          const refused = await lab.up().then(
            () => "up succeeded",
            (e: Error) => e.message,
          );
          expect(refused).toContain("invalid stack config");
          expect(refused).toContain(inConfig.refusal);
        } finally {
          inConfig.undo(lab);
          lab.writeConfig();
        }
        expect(changed(await lab.up())).toEqual({});
      });
    }

    if (stack === "net-lab5") {
      it("answers the everyday commands: status, graph, ssh-config then plain ssh, ssh, labs", () => {
        const status = lab.cli("status", stack);
        expect(status.status, status.stdout + status.stderr).toBe(0);
        expect(status.stdout).toMatch(/^ {2}boxB\s+vm running\s+ssh answers$/m);
        expect(status.stdout).toMatch(/^ {2}active boxB\/guest-network$/m);
        expect(status.stdout).toContain("everything running");
        console.log(JSON.stringify({ figure: "cli_status", value: Math.round(status.seconds * 10) / 10, unit: "s", lab: stack }));
        const graph = lab.cli("graph", stack, "-o", join(lab.learnerHome, "lab5.svg"));
        expect(graph.status, graph.stderr).toBe(0);
        const svg = readFileSync(join(lab.learnerHome, "lab5.svg"), "utf8");
        for (const name of ["boxA", "boxB", "boxC", "enp0s8 192.168.50.4"]) expect(svg).toContain(name);
        expect(lab.cli("ssh-config", stack).status).toBe(0);
        const config = join(lab.learnerHome, ".ssh", "config");
        expect(statSync(config).mode & 0o777).toBe(0o600);
        expect(statSync(join(lab.learnerHome, ".ssh", "labstack", `${stack}.key`)).mode & 0o777).toBe(0o600);
        // As the posts type it, with the learner's ~/.ssh/config (-F: OpenSSH takes ~ from the password database).
        const plain = lab.inNamespace(["ssh", "-F", config, "boxA", "hostname"]);
        expect(plain.stdout.trim(), plain.stderr).toBe("boxA");
        const viaCli = lab.cli("ssh", stack, "boxC", "ip", "-br", "addr", "show", "enp0s8");
        expect(viaCli.stdout, viaCli.stderr).toMatch(/^enp0s8\s+UP\s+192\.168\.60\.4\/16/);
        const labs = lab.cli("labs");
        expect(labs.stdout, labs.stderr).toMatch(new RegExp(`^${stack}\\s+network\\s+1536 MiB\\s+running$`, "m"));
      });

      it("another Pulumi program reads the lab's typed outputs through a StackReference", async () => {
        const dir = join(lab.learnerHome, "consumer");
        mkdirSync(dir, { recursive: true });
        // Its own package.json: without one the language host runs the program without its runtime options.
        for (const file of ["Pulumi.yaml", "package.json", "index.ts"]) copyFileSync(join(ROOT, "test", "fixtures", "stack-reference", file), join(dir, file));
        symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
        const consumer = await lab.at(dir);
        expect((await consumer.up()).summary.result).toBe("succeeded");
        const outputs = await consumer.stack.outputs();
        expect(outputs.reachable.value).toEqual([
          "boxA 192.168.50.4 2222 enp0s3,enp0s8",
          "boxB  2200 enp0s3,enp0s8,enp0s9",
          "boxC 192.168.60.4 2201 enp0s3,enp0s8",
        ]);
        expect(outputs.inventory.value).toContain("[nodes]\nboxA mgmt_ip=192.168.50.4 ansible_host=127.0.0.1 ansible_port=2222\n");
        await consumer.destroy();
      });

      it("runs the posts' commands as printed: addresses on enp0s8, and boxB's bridge built by hand", () => {
        expect(lab.onNode(2222, "ip addr show enp0s8").stdout).toContain("inet 192.168.50.4/16");
        // The reference's bridge commands (seed-labs.md, lab 5), on a boxB without the lab's bridge.
        const byHand = [
          "ip link del myBridge",
          "ip link add myBridge type bridge",
          "ip addr flush dev enp0s8 ; ip addr flush dev enp0s9",
          "ip link set enp0s8 promisc on ; ip link set enp0s9 promisc on",
          "ip link set enp0s8 master myBridge ; ip link set enp0s9 master myBridge",
          "ip link set myBridge up",
        ];
        const built = lab.onNode(2200, `sudo bash -euc ${shellQuote(byHand.join("\n"))}`);
        expect(built.status, built.stderr).toBe(0);
        expect(lab.onNode(2222, "ping -c 2 -W 5 192.168.60.4").status).toBe(0);
        // The lab's own checks see the bridge the learner built.
        const check = lab.cli("check", stack);
        expect(check.status, check.stdout + check.stderr).toBe(0);
        expect(check.stdout).toMatch(/every check green \(\d+\)/);
      });

      it("verify repairs a bridge taken down by hand inside boxB", () => {
        const down = lab.onNode(2200, "sudo ip link set myBridge down");
        expect(down.status, down.stderr).toBe(0);
        const r = verify();
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain("brought up myBridge");
      });
    }

    if (stack === "net-lab8") {
      it("runs the posts' VLAN device commands as printed, and captures the tags into a pcap file", () => {
        // The reference's commands (seed-labs.md, lab 8), on boxA: its VLAN device made again by hand.
        const byHand = [
          "ip link del enp0s8.100",
          "ip link add link enp0s8 name enp0s8.100 type vlan id 100",
          "ip addr add 192.168.60.4/24 dev enp0s8.100 && ip link set enp0s8.100 up",
        ];
        const built = lab.onNode(2222, `sudo bash -euc ${shellQuote(byHand.join("\n"))}`);
        expect(built.status, built.stderr).toBe(0);
        expect(lab.onNode(2222, "sudo cat /proc/net/vlan/config").stdout).toMatch(/^enp0s8\.100\s+\| 100\s+\| enp0s8$/m);
        expect(lab.onNode(2222, "ip -d link show enp0s8.100").stdout).toContain("vlan protocol 802.1Q id 100");
        const pcap = join(lab.learnerHome, "vlan100.pcap");
        const pinging = spawn("ip", ["netns", "exec", lab.ns.name, "ssh", ...nodeSsh(lab, 2222), "ping -c 120 -i 0.5 192.168.60.5"]);
        const capture = lab.cli("capture", stack, "boxB", "enp0s8", "-c", "4", "-w", pcap, "vlan", "100", "and", "icmp");
        pinging.kill();
        expect(capture.status, capture.stderr).toBe(0);
        const read = spawnSync("tcpdump", ["-e", "-n", "-r", pcap], { encoding: "utf8" });
        expect(read.status, read.error?.message ?? read.stderr).toBe(0);
        expect(read.stdout.trim().split("\n")).toHaveLength(4);
        expect(read.stdout).toMatch(/ethertype 802\.1Q \(0x8100\), length \d+: vlan 100, p 0, ethertype IPv4/);
        const check = lab.cli("check", stack);
        expect(check.status, check.stdout + check.stderr).toBe(0);
      });
    }

    it("destroy leaves nothing behind", async () => {
      await lab.destroy();
      expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
      expect(namespaceLinks(lab.ns)).toEqual([]);
      expect(existsSync(lab.stateDir)).toBe(false);
      expect((await lab.stack.exportStack()).deployment.resources ?? []).toEqual([]);
      console.log(
        JSON.stringify({
          figure: `network_lab_${stack}`,
          value: Math.round((performance.now() - started) / 100) / 10,
          unit: "s",
          note: "whole test, breakages included",
        }),
      );
    });
  });
}
