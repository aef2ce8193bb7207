// A hypervisor plugs in through the registry alone: a throw-away third one, defined here, records
// what the model, the plan and the lab components ask of it. If any of them switched on the kind
// (QEMU unless VirtualBox, say), this fake would get QEMU's treatment and the assertions below
// would see qemu/vm.sh, taps or ens* NIC names.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Hypervisor, MachineArgs, NetworkArgs } from "../../components/hypervisor/hypervisor.js";
import { registerHypervisor } from "../../components/hypervisor/registry.js";
import { parseLab } from "../../model/parse.js";
import { dropletUserData } from "../../plan/host.js";
import { buildLab } from "../../stacks/index.js";
import { stackLab } from "../helpers/labs.js";
import { installMocks, recorded, recordingOptions, registrations, reset, settle, unwrap } from "../helpers/mocks.js";

const asked: { networks: NetworkArgs[]; networkWaits: unknown[]; machines: MachineArgs[]; rules: string[] } = {
  networks: [],
  networkWaits: [],
  machines: [],
  rules: [],
};

class FakeNetwork extends pulumi.ComponentResource {
  readonly device: pulumi.Output<string>;
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super("test:fake:Network", name, {}, opts);
    this.device = pulumi.output(`fkbr-${name}`);
    this.registerOutputs({ device: this.device });
  }
}

class FakeMachine extends pulumi.ComponentResource {
  readonly vmId: pulumi.Output<string>;
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super("test:fake:Machine", name, {}, opts);
    this.vmId = pulumi.output(`fkvm-${name}`);
    this.registerOutputs({ vmId: this.vmId });
  }
}

const FakeConfigSchema = z.strictObject({ kind: z.literal("fakevisor"), colour: z.enum(["blue", "red"]).default("blue") });

const fakevisor: Hypervisor<typeof FakeConfigSchema> = {
  kind: "fakevisor",
  schema: FakeConfigSchema,
  guestDevice: (index) => `fk${index}`,
  rules(lab, add) {
    asked.rules.push(lab.nodes.map((n) => n.name).join(","));
    if ((lab.hypervisor as unknown as z.infer<typeof FakeConfigSchema>).colour === "red") add(["hypervisor", "colour"], "red fakes do not boot");
  },
  hostTools: [{ command: "fakectl", package: "fake-tools" }],
  dropletPackages: ["fake-tools"],
  hostSetup: (_lab, labName) => ({ script: "fake/wires.sh", environment: { FAKE_WIRES: labName } }),
  preflight: (_lab, labName) => ({
    requireKvm: false,
    needRoot: ["the fake's wires"],
    runningVm: (node) => `fake:${labName}/${node.name}`,
    ownDevice: (net) => `fkbr-${net.name}`,
  }),
  network(name, args, opts) {
    asked.networks.push(args);
    asked.networkWaits.push(opts.dependsOn);
    return new FakeNetwork(name, opts);
  },
  machine(name, args, opts) {
    asked.machines.push(args);
    return new FakeMachine(name, opts);
  },
};

const onFake = (extra: Record<string, unknown> = {}) => ({ ...stackLab("dev"), hypervisor: { kind: "fakevisor", ...extra } });

beforeAll(async () => {
  await installMocks();
  registerHypervisor(fakevisor);
});
beforeEach(() => {
  reset();
  asked.networks.length = asked.networkWaits.length = asked.machines.length = asked.rules.length = 0;
});

describe("a third hypervisor, added through the registry alone", () => {
  it("gets its own config branch and rules in the model", () => {
    expect(parseLab(onFake()).hypervisor).toEqual({ kind: "fakevisor", colour: "blue" });
    expect(asked.rules).toEqual(["controller,compute1,compute2"]);
    expect(() => parseLab(onFake({ colour: "red" }))).toThrow("labstack:lab.hypervisor.colour: red fakes do not boot");
    expect(() => parseLab(onFake({ accel: "kvm" }))).toThrow('labstack:lab.hypervisor: Unrecognized key: "accel"');
    expect(() => parseLab({ ...stackLab("dev"), hypervisor: { kind: "hyperv" } })).toThrow('Invalid option: expected one of "virtualbox"|"qemu"|"fakevisor"');
  });

  it("is asked for the lab's networks and machines, with its own NIC names; nothing else makes VMs", async () => {
    buildLab(parseLab(onFake()), "dev", {}, recordingOptions);
    await settle();
    expect(asked.networks.map((a) => a.network.name)).toEqual(["management", "guest"]);
    expect(asked.machines.map((a) => a.node.name)).toEqual(["controller", "compute1", "compute2"]);
    expect(asked.machines[0].nics.map((n) => n.device)).toEqual(["fk0", "fk1", "fk2"]);
    // The guest config the node boots with names the fake's NICs.
    const seed = await new Promise<{ networkConfig: string }>((resolve) => pulumi.output(asked.machines[0].seed).apply(resolve));
    expect(seed.networkConfig).toContain("fk1");
    expect(seed.networkConfig).not.toMatch(/ens\d|enp0s/);
    const scripts = recorded.filter((r) => r.type === "command:local:Command").map((r) => String(unwrap(r.inputs).create));
    // No bridge, tap or VM of QEMU's or VirtualBox's: only the fake's components made networks and VMs.
    expect(scripts.filter((s) => /\/host\/bridge\.sh|\/(qemu|virtualbox)\//.test(s))).toEqual([]);
  });

  it("tells host preparation, the preflight and a droplet what it needs", async () => {
    buildLab(parseLab(onFake()), "dev", {}, recordingOptions);
    await settle();
    const env = (step: string) => unwrap(recorded.find((r) => r.name === `dev-${step}-run`)!.inputs).environment;
    expect(env("prepare")).toMatchObject({ REQUIRED: "" });
    // Its own host step runs its script after the common preparation, and its networks wait for it.
    const setup = recorded.find((r) => r.name === "dev-host-setup-run")!;
    expect(String(unwrap(setup.inputs).create)).toContain("fake/wires.sh");
    expect(env("host-setup")).toEqual({ FAKE_WIRES: "dev" });
    const hostSetup = registrations.find((r) => r.name === "dev-host-setup")!.resource;
    expect(asked.networkWaits.length).toBeGreaterThan(0);
    for (const waits of asked.networkWaits) expect(waits).toContain(hostSetup);
    // The fake's tools first; the image builder's follow (the lab builds its image).
    expect(env("prepare").PACKAGES.split("\n")[0]).toBe("command=fakectl package=fake-tools");
    expect(env("preflight").SSH_PORTS).toContain("port=8222 key=labstack:lab.nodes[0].nics[0].sshPort vm=fake:dev/controller");
    expect(env("preflight").NETWORKS).toContain("cidr=192.168.1.0/24 own=fkbr-management");
    expect(env("preflight").NEED_ROOT).toContain("the fake's wires");
    const droplet = parseLab({ ...onFake(), host: { kind: "digitalocean", region: "fra1", sshSourceCidrs: ["203.0.113.7/32"] } });
    expect(dropletUserData(droplet, { privateKey: "k", publicKey: "p" })).toContain("  - fake-tools");
  });
});
