// A hypervisor plugs in through the registry alone (components/hypervisor/registry.ts): a throw-away
// third one, defined here, records what the model, the plan and the lab components ask of it. If
// any of them switched on the kind (QEMU unless VirtualBox, say), this fake would get QEMU's
// treatment and the assertions below would see qemu/vm.sh, taps, bridges or ens* NIC names.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { LabHostConnection } from "../../../components/host/connection.js";
import type { Hypervisor, MachineArgs, NetworkArgs } from "../../../components/hypervisor/hypervisor.js";
import { hypervisorOf, hypervisors, registerHypervisor } from "../../../components/hypervisor/registry.js";
import { Health } from "../../../components/lab/Health.js";
import type { ProvisionedNode } from "../../../components/lab/ProvisionedNode.js";
import { readyCheckpoints } from "../../../components/lab/readyCheckpoint.js";
import type { LabConfig } from "../../../model/schema.js";
import { labPreflight } from "../../../plan/preflight.js";
import { prepareStep } from "../../../plan/prepare.js";
import { bundle, type Script } from "../../../plan/scripts.js";
import type { HypervisorSpec } from "../../../plan/types.js";
import { buildLab, parseStack } from "../../../stacks/index.js";
import { bundleParam } from "../../helpers/bundles.js";
import { labPlan, stackLab } from "../../helpers/labs.js";
import { installMocks, recorded, recordingOptions, registrations, reset, settle, unwrap } from "../../helpers/mocks.js";

const asked: { networks: NetworkArgs[]; networkWaits: unknown[]; machines: MachineArgs[]; rules: string[] } = {
  networks: [],
  networkWaits: [],
  machines: [],
  rules: [],
};

// The fake's own scripts: a bundle carries scripts by content, so they must exist.
const root = mkdtempSync(join(tmpdir(), "labstack-fakevisor-"));
mkdirSync(join(root, "fake"));
writeFileSync(join(root, "fake/wires.sh"), "#!/usr/bin/env bash\necho wired\n");
writeFileSync(join(root, "fake/vm.sh"), "#!/usr/bin/env bash\necho vm\n");
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fakeScript = (path: string): Script => ({ root, path });

class FakeNetwork extends pulumi.ComponentResource {
  readonly device: pulumi.Output<string>;
  readonly identity: unknown;
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super("test:fake:Network", name, {}, opts);
    this.device = pulumi.output(`fkbr-${name}`);
    this.identity = { fake: name };
    this.registerOutputs({ device: this.device });
  }
}

class FakeMachine extends pulumi.ComponentResource {
  readonly vmId: pulumi.Output<string>;
  readonly health: Health;
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super("test:fake:Machine", name, {}, opts);
    this.vmId = pulumi.output(`fkvm-${name}`);
    this.health = new Health(`${name}-health`, { target: { kind: "local" }, program: "exit 0" }, { parent: this });
    this.registerOutputs({ vmId: this.vmId });
  }
}

const FakeConfigSchema = z.strictObject({ kind: z.literal("fakevisor"), colour: z.enum(["blue", "red"]).default("blue") });

const spec: HypervisorSpec = {
  kind: "fakevisor",
  schema: FakeConfigSchema,
  guestDevice: (index) => `fk${index}`,
  rules(lab, add) {
    asked.rules.push(lab.nodes.map((n) => n.name).join(","));
    if ((lab.hypervisor as unknown as z.infer<typeof FakeConfigSchema>).colour === "red") add(["hypervisor", "colour"], "red fakes do not boot");
  },
  hostTools: [{ command: "fakectl", package: "fake-tools" }],
  dropletPackages: ["fake-tools"],
  hostSetup: (plan) => ({ script: fakeScript("fake/wires.sh"), environment: { FAKE_WIRES: plan.name } }),
  preflight: (plan) => ({
    requireKvm: false,
    needRoot: ["the fake's wires"],
    runningVm: (node) => `fake:${plan.name}/${node.name}`,
    ownDevice: (net) => `fkbr-${net.name}`,
  }),
  vmScript: fakeScript("fake/vm.sh"),
  machineEnvironment: (a) => ({ NAME: a.node.name }),
  vmIdentity: (plan, node) => ({ NAME: `${plan.name}/${node.name}` }),
  builderAccel: () => "tcg",
};

const fakevisor: Hypervisor = {
  spec,
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
// The ready checkpoint ships the hypervisor's vm script from provisioning/ (a bug, tested below).
const builtOnFake = (raw: Record<string, unknown> = onFake()) => ({ ...raw, readyCheckpoint: false });
const stdinOf = (name: string) => String(unwrap(recorded.find((r) => r.name === name)!.inputs).stdin);

beforeAll(async () => {
  await installMocks();
  registerHypervisor(fakevisor);
});
beforeEach(() => {
  reset();
  asked.networks.length = asked.networkWaits.length = asked.machines.length = asked.rules.length = 0;
});

describe("the registry", () => {
  it("lists the fake beside the built-in hypervisors, once", () => {
    expect(hypervisors().map((h) => h.spec.kind)).toEqual(["virtualbox", "qemu", "fakevisor"]);
    expect(hypervisorOf("fakevisor")).toBe(fakevisor);
    expect(() => registerHypervisor(fakevisor)).toThrow("hypervisor 'fakevisor' is already registered");
    expect(() => hypervisorOf("hyperv")).toThrow("unknown hypervisor 'hyperv' (known: virtualbox, qemu, fakevisor)");
  });
});

describe("a third hypervisor, added through the registry alone", () => {
  it("gets its own config branch and rules in the model", () => {
    expect(parseStack(onFake()).host).toEqual({ kind: "local" });
    expect((parseStack(onFake()) as LabConfig).hypervisor).toEqual({ kind: "fakevisor", colour: "blue" });
    expect(asked.rules).toEqual(["controller,compute1,compute2", "controller,compute1,compute2"]);
    expect(() => parseStack(onFake({ colour: "red" }))).toThrow("labstack:lab.hypervisor.colour: red fakes do not boot");
    expect(() => parseStack(onFake({ accel: "kvm" }))).toThrow('labstack:lab.hypervisor: Unrecognized key: "accel"');
    expect(() => parseStack({ ...stackLab("dev"), hypervisor: { kind: "hyperv" } })).toThrow(
      'labstack:lab.hypervisor.kind: Invalid option: expected one of "virtualbox"|"qemu"|"fakevisor"',
    );
  });

  it("is planned with its own NIC names, host tools, preflight facts and host setup", () => {
    const plan = labPlan(onFake());
    expect(plan.hypervisor).toBe(spec);
    expect(plan.node("controller").nics.map((n) => n.device)).toEqual(["fk0", "fk1", "fk2"]);
    // The fake's tools first; the image builder's follow (the lab builds its image).
    const prepare = prepareStep(plan).environment;
    expect(prepare.PACKAGES.split("\n")[0]).toBe("command=fakectl package=fake-tools");
    expect(prepare.PACKAGES).toContain("command=mmdebstrap package=mmdebstrap");
    expect(prepare.PACKAGES).not.toContain("qemu-system-x86_64");
    expect(prepare.REQUIRED).toBe("");
    const preflight = labPreflight(plan, 4096).environment;
    expect(preflight.SSH_PORTS).toContain("port=8222 key=labstack:lab.nodes[0].nics[0].sshPort vm=fake:dev/controller");
    expect(preflight.NETWORKS).toContain("cidr=192.168.1.0/24 own=fkbr-management");
    expect(preflight.NEED_ROOT).toBe("the fake's wires, the APT cache's system service");
    expect(preflight.HYPERVISOR).toBe("fakevisor");
  });

  it("is asked for the lab's networks and machines, with its own NIC names; nothing else makes VMs", async () => {
    buildLab(parseStack(builtOnFake()), { stack: "dev" }, recordingOptions);
    await settle();
    expect(asked.networks.map((a) => a.network.name)).toEqual(["management", "guest"]);
    expect(asked.machines.map((a) => a.node.name)).toEqual(["controller", "compute1", "compute2"]);
    expect(asked.machines[0].node.nics.map((n) => n.device)).toEqual(["fk0", "fk1", "fk2"]);
    // The guest config the node boots with names the fake's NICs.
    const seed = await new Promise<{ networkConfig: string }>((resolve) => pulumi.output(asked.machines[0].seed).apply(resolve));
    expect(seed.networkConfig).toContain('"fk1"');
    expect(seed.networkConfig).not.toMatch(/ens\d|enp0s/);
    // No bridge, tap or VM of QEMU's or VirtualBox's: only the fake's components made networks and VMs.
    // Every host command but the credentials' generators (node programs) runs a bundle.
    const scripts = recorded
      .filter((r) => r.type === "command:local:Command" && unwrap(r.inputs).interpreter === undefined)
      .map((r) => /\n {4}bash "\$dir\/([^"]+)" "\$@"/.exec(String(unwrap(r.inputs).stdin))?.[1]);
    expect(scripts).toContain("host/prepare.sh");
    expect(scripts).toContain("fake/wires.sh");
    expect(scripts.filter((s) => s === undefined || /^(host\/bridge\.sh|qemu\/|virtualbox\/)/.test(s))).toEqual([]);
  });

  it("runs its own host setup after the common preparation, its networks waiting for it, and gets its packages on a droplet", async () => {
    buildLab(parseStack(builtOnFake()), { stack: "dev" }, recordingOptions);
    await settle();
    const setup = stdinOf("dev-host-setup-run");
    expect(setup).toContain('bash "$dir/fake/wires.sh" "$@"');
    expect(bundleParam(setup, "FAKE_WIRES")).toBe("dev");
    const hostSetup = registrations.find((r) => r.name === "dev-host-setup")!;
    const prepare = registrations.find((r) => r.name === "dev-prepare")!.resource;
    expect(hostSetup.opts.dependsOn).toEqual([prepare]);
    expect(asked.networkWaits.length).toBe(2);
    for (const waits of asked.networkWaits) expect(waits).toContain(hostSetup.resource);
    expect(bundleParam(stdinOf("dev-preflight-run"), "NEED_ROOT")).toBe("the fake's wires, the APT cache's system service");
    reset();
    const droplet = parseStack(builtOnFake({ ...onFake(), host: { kind: "digitalocean", region: "fra1", sshSourceCidrs: ["203.0.113.7/32"] } }), {
      digitaloceanToken: true,
    });
    buildLab(droplet, { stack: "dev" }, recordingOptions);
    await settle();
    const made = recorded.find((r) => r.type === "digitalocean:index/droplet:Droplet")!;
    expect(unwrap(made.inputs.userData)).toMatch(/\npackages:\n {2}- fake-tools\n {2}- apt-cacher-ng\n/);
  });

  it("gets its ready checkpoints from its own vm script", () => {
    const plan = labPlan(onFake());
    expect(plan.config.readyCheckpoint).toBe(true);
    const scripts: string[] = [];
    // A lab host that bundles each script as the real ones do, on the spot.
    const host = {
      script: (_name: string, args: { script: Script }) => {
        scripts.push(bundle(args.script, {}));
        return { stdout: pulumi.output("") };
      },
    } as unknown as LabHostConnection;
    const nodes = new Map(
      plan.nodes.map((n) => [n.name, { vmId: pulumi.output(`fkvm-${n.name}`), hostKey: { identity: pulumi.output(`key-${n.name}`) } } as ProvisionedNode]),
    );
    readyCheckpoints("dev", {} as pulumi.Resource, { plan, host, nodes, steps: new Map() }, []);
    expect(scripts).toHaveLength(3);
    for (const text of scripts) expect(text).toContain('> "$dir/fake/vm.sh"');
  });
});
