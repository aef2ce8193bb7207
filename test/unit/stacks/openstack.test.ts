// stacks/openstack/: Lab 1 of the OpenStack series, its config (model.ts) and its plan (plan.ts):
// every node's base setup, the seed's services on the nodes the config names, the learner's
// checks, and the image they bake into.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { qemuSpec } from "../../../plan/hypervisors/qemu.js";
import { virtualboxSpec } from "../../../plan/hypervisors/virtualbox.js";
import { imageStep } from "../../../plan/image.js";
import type { LabPlan } from "../../../plan/types.js";
import { type OpenStackLabConfig, openstackModel } from "../../../stacks/openstack/model.js";
import { basePackages, hostsEntries, openstackBake, planOpenStack, SERVICE_PACKAGES } from "../../../stacks/openstack/plan.js";
import { configIssues, labPlan, scriptPath, stackLab } from "../../helpers/labs.js";

const HYPERVISORS = [virtualboxSpec, qemuSpec];
const parse = (raw: unknown) => openstackModel.parse(raw, { hypervisors: HYPERVISORS, facts: {} });
const planOf = (raw: Record<string, any>, stack = "dev") => labPlan(raw, stack) as LabPlan<OpenStackLabConfig>;
const issuesOf = (raw: unknown): string[] => configIssues(() => parse(raw));

describe("OpenStack lab config", () => {
  it("openstack-lab is the seed's Lab1", () => {
    const lab = parse(stackLab("openstack-lab"));
    expect(lab.hypervisor).toEqual({ kind: "virtualbox", networksConf: true });
    expect(lab.nodes.map((n) => [n.name, n.memoryMiB, n.cpus, n.nics[0].sshPort, n.nics[1].ip])).toEqual([
      ["controller", 6144, 2, 8222, "192.168.1.11"],
      ["compute1", 4096, 2, 8200, "192.168.1.21"],
      ["compute2", 4096, 2, 8201, "192.168.1.22"],
    ]);
    expect(lab.networks.filter((n) => n.kind === "hostonly").map((n) => [n.cidr?.text, n.hostAddress, n.dhcp])).toEqual([
      ["192.168.1.0/24", "192.168.1.1", false],
      ["172.16.0.0/24", "172.16.0.1", false],
    ]);
    for (const node of lab.nodes) {
      expect(node.nics.map((n) => n.network)).toEqual(["nat", "management", "guest"]);
      expect(node.nics[2].ip).toBeUndefined();
      expect(node.nics.slice(1).every((n) => n.promiscuous)).toBe(true);
    }
    expect(lab.aptCache).toEqual({ enabled: true, port: 3142 });
    expect(lab.services).toEqual({
      chrony: { server: "controller" },
      mariadb: { node: "controller" },
      rabbitmq: { node: "controller", user: "openstack" },
      memcached: { node: "controller" },
    });
    expect([lab.cloudArchive, lab.credentialsDir, lab.openstackClient]).toEqual(["caracal", "~/.os_credentials", true]);
  });

  it("dev and openstack-lab have the same three nodes", () => {
    for (const stack of ["dev", "openstack-lab"]) expect(parse(stackLab(stack)).nodes.map((n) => n.name)).toEqual(["controller", "compute1", "compute2"]);
  });

  it("defaults to no services, the openstack user for RabbitMQ and the OpenStack client", () => {
    const raw = stackLab("dev");
    delete raw.services;
    expect(parse(raw).services).toEqual({});
    raw.services = { rabbitmq: { node: "controller" } };
    expect(parse(raw).services.rabbitmq).toEqual({ node: "controller", user: "openstack" });
    expect(parse(raw).openstackClient).toBe(true);
  });

  it("needs a management network, and its services on nodes it has", () => {
    const raw = stackLab("dev");
    delete raw.managementNetwork;
    raw.aptCache = { enabled: false };
    raw.services = { chrony: { server: "ntp" }, memcached: { node: "cache" } };
    expect(issuesOf(raw)).toEqual([
      "labstack:lab.managementNetwork: is required for an openstack lab",
      "labstack:lab.services.chrony.server: unknown node 'ntp' (known: controller, compute1, compute2)",
      "labstack:lab.services.memcached.node: unknown node 'cache' (known: controller, compute1, compute2)",
    ]);
  });
});

describe("OpenStack lab plan", () => {
  it("plans the seed's services on the controller and clients everywhere else", () => {
    const plan = planOpenStack(planOf(stackLab("dev")));
    expect(plan.nodes.map((n) => [n.node, n.services.map((s) => s.name)])).toEqual([
      ["controller", ["chrony-server", "mariadb", "rabbitmq", "memcached"]],
      ["compute1", ["chrony-client"]],
      ["compute2", ["chrony-client"]],
    ]);
    // A client waits for its server's time service.
    expect(plan.nodes[1].services[0].after).toEqual(["chrony-server"]);
    expect(plan.nodes[1].services[0].step.env).toEqual({ SERVER: "controller" });
    expect(plan.nodes[0].services[0].step.env).toEqual({ ALLOW_CIDR: "192.168.1.0/24" });
    expect(plan.nodes[0].services.map((s) => s.status?.env.UNITS)).toEqual(["chrony", "mariadb", "rabbitmq-server", "memcached"]);
    expect([...plan.controllers]).toEqual(["controller"]);
    expect(plan.endpoints).toEqual({
      mariadb: { address: "192.168.1.11", port: 3306 },
      rabbitmq: { address: "192.168.1.11", port: 5672 },
      memcached: { address: "192.168.1.11", port: 11211 },
    });
  });

  it("gives every node /etc/hosts, the lab's APT proxy, its unnumbered NICs up and the clients", () => {
    const lab = planOf(stackLab("dev"));
    const base = planOpenStack(lab).nodes[2].base;
    expect(base.script.path).toBe("node/base-setup.sh");
    expect(base.env).toEqual({
      HOSTS: "192.168.1.11 controller\n192.168.1.21 compute1\n192.168.1.22 compute2",
      APT_PROXY_URL: "http://192.168.1.1:3142",
      CLOUD_ARCHIVE: "",
      NIC_NAMES: lab
        .node("compute2")
        .nics.map((n) => `mac=${n.mac} name=${n.device}`)
        .join("\n"),
      UNNUMBERED_DEVICES: "enp0s9",
      PACKAGES: "python3-openstackclient mariadb-client python3-amqp chrony",
    });
    expect(hostsEntries(lab).split("\n")).toHaveLength(3);
    // Each node resolves its own name too, by its management address: never the 127.0.1.1 alias.
    for (const node of planOpenStack(lab).nodes) {
      expect(node.base.env.HOSTS.split("\n")).toContain(`${lab.node(node.node).address} ${node.node}`);
      expect(node.base.env.HOSTS).not.toContain("127.0.1.1");
    }
    expect(planOpenStack(planOf(stackLab("openstack-lab"), "openstack-lab")).nodes[0].base.env).toMatchObject({
      CLOUD_ARCHIVE: "caracal",
      UNNUMBERED_DEVICES: "enp0s9",
    });
    const noCache = stackLab("dev");
    noCache.aptCache = { enabled: false };
    expect(planOpenStack(planOf(noCache)).nodes[0].base.env.APT_PROXY_URL).toBe("");
    const noClient = stackLab("dev");
    noClient.openstackClient = false;
    expect(basePackages(parse(noClient))).toEqual(["mariadb-client", "python3-amqp", "chrony"]);
  });

  it("checks every node's view of the controller's services, and the controller's own", () => {
    const plan = planOpenStack(planOf(stackLab("dev")));
    expect(plan.nodes[0].checks.map((c) => c.name)).toEqual(["hosts", "chrony", "mariadb", "rabbitmq", "mariadb-login", "rabbitmq-login", "memcached"]);
    expect(plan.nodes[1].checks.map((c) => c.name)).toEqual(["hosts", "chrony", "mariadb-login", "rabbitmq-login", "memcached"]);
    expect(plan.nodes[1].checks[1].step.env).toEqual({ ROLE: "client", SERVER: "controller", SERVER_IP: "192.168.1.11" });
    expect(plan.nodes[1].checks[4].step.env).toEqual({ MEMCACHED_HOST: "controller", MEMCACHED_IP: "192.168.1.11", NODE: "compute1" });
    // Secrets travel as names of the lab's credentials, never as values in the plan.
    expect(plan.nodes[1].checks[2].step.secrets).toEqual({ ROOT_PASSWORD: "mariadbRootPassword" });
  });

  it("binds RabbitMQ to the management address and configures it with one rabbitmqctl call", () => {
    const controller = planOpenStack(planOf(stackLab("dev"))).nodes[0];
    const rabbitmq = controller.services.find((s) => s.name === "rabbitmq")!.step;
    expect(rabbitmq.env).toEqual({ BIND_ADDRESS: "192.168.1.11", RABBIT_USER: "openstack" });
    expect(rabbitmq.secrets).toEqual({ RABBIT_PASSWORD: "rabbitmqPassword" });
    expect(controller.checks.find((c) => c.name === "rabbitmq")!.step.env).toEqual({ BIND_ADDRESS: "192.168.1.11", RABBIT_USER: "openstack" });
    // Each rabbitmqctl starts an Erlang VM, seconds under TCG: the step may start one.
    const script = readFileSync(scriptPath(rabbitmq.script.path), "utf8");
    expect(script.split("\n").filter((line) => /^[^#]*\brabbitmqctl\b/.test(line))).toHaveLength(1);
  });

  it("plans only the services the config names", () => {
    const raw = stackLab("dev");
    raw.services = { chrony: { server: "compute1" } };
    const plan = planOpenStack(planOf(raw));
    expect(plan.nodes.map((n) => n.services.map((s) => s.name))).toEqual([["chrony-client"], ["chrony-server"], ["chrony-client"]]);
    expect(plan.nodes[0].checks.map((c) => c.name)).toEqual(["hosts", "chrony"]);
    expect(plan.endpoints).toEqual({});
    expect([...plan.controllers]).toEqual(["compute1"]);
  });
});

describe("OpenStack lab image", () => {
  it("bakes the OpenStack lab's packages, services off, fetched through the lab's APT cache", () => {
    const lab = planOf(stackLab("dev"));
    const env = imageStep(lab, openstackBake(lab.config)).environment;
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
    const raw = stackLab("dev");
    raw.services = { chrony: { server: "controller" } };
    expect(openstackBake(parse(raw)).packages).not.toContain("mariadb-server");
    expect(openstackBake(parse(stackLab("openstack-lab"))).cloudArchive).toBe("caracal");
  });

  it("bakes every package a service step installs", () => {
    const baked = openstackBake(parse(stackLab("dev"))).packages;
    const steps = planOpenStack(planOf(stackLab("dev"))).nodes.flatMap((n) => n.services.map((s) => s.step.script.path));
    expect(new Set(steps)).toEqual(
      new Set(["openstack/chrony-server.sh", "openstack/mariadb.sh", "openstack/rabbitmq.sh", "openstack/memcached.sh", "openstack/chrony-client.sh"]),
    );
    for (const path of steps) {
      const wanted = /^ensure_packages (.+)$/m.exec(readFileSync(scriptPath(path), "utf8"))![1].split(" ");
      for (const p of wanted) expect(baked, `${path} installs ${p}`).toContain(p);
    }
    expect(
      Object.values(SERVICE_PACKAGES)
        .flat()
        .every((p) => baked.includes(p)),
    ).toBe(true);
  });
});
