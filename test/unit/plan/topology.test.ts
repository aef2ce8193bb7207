// plan/topology.ts: a lab's topology as data and its two pictures. For every template in the
// repository the SVG is well-formed XML, names every node, network and NIC, and its layout puts no
// text over another text or under a line; the Mermaid text is what the `topology` output always was.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderMermaid as renderPlanMermaid } from "../../../plan/outputs.js";
import { escapeXml, type LayoutBox, type LayoutShape, labTopology, layoutTopology, renderMermaid, renderSvg, type Topology } from "../../../plan/topology.js";
import { parseStack } from "../../../stacks/index.js";
import type { MinikubeLabConfig } from "../../../stacks/minikube/model.js";
import { minikubeTopology } from "../../../stacks/minikube/plan.js";
import { labPlan, ROOT, stackLab } from "../../helpers/labs.js";

const STACKS = readdirSync(ROOT)
  .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
  .map((f) => f.slice("Pulumi.".length, -".yaml".length))
  .sort();

function topologyOf(stack: string): Topology {
  const raw = stackLab(stack);
  return raw.kind === "minikube" ? minikubeTopology(parseStack(raw) as MinikubeLabConfig, stack) : labTopology(labPlan(raw, stack));
}

interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** Its own character data, entities decoded. */
  readonly text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const NAME = "[A-Za-z_:][-A-Za-z0-9_.:]*";

function decode(text: string, where: string): string {
  if (/[<]/.test(text)) throw new Error(`raw < in ${where}`);
  return text.replace(/&([^;]*);|&/g, (whole, ref?: string) => {
    if (ref === undefined) throw new Error(`raw & in ${where}`);
    if (ref in ENTITIES) return ENTITIES[ref];
    const code = /^#x([0-9a-fA-F]+)$/.exec(ref)?.[1] ?? /^#([0-9]+)$/.exec(ref)?.[1];
    if (code === undefined) throw new Error(`unknown entity ${whole} in ${where}`);
    return String.fromCodePoint(ref.startsWith("#x") ? Number.parseInt(code, 16) : Number(code));
  });
}

/** A small XML 1.0 well-formedness check (an optional declaration, comments, elements with quoted,
 * unique attributes, balanced tags, one root, entities in text and attributes): the elements in
 * document order, or an error saying what is wrong. */
function parseXml(xml: string): XmlElement[] {
  const elements: { name: string; attributes: Record<string, string>; text: string }[] = [];
  const open: (typeof elements)[number][] = [];
  let rest = xml.replace(/^<\?xml\s+version="1\.[0-9]"(\s+encoding="UTF-8")?\s*\?>/, "");
  let roots = 0;
  const tag = new RegExp(`^<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>`);
  while (rest.length > 0) {
    const next = rest.indexOf("<");
    const text = next === -1 ? rest : rest.slice(0, next);
    if (open.length === 0 && text.trim() !== "") throw new Error(`text outside the root: ${text.trim().slice(0, 40)}`);
    if (open.length > 0) open.at(-1)!.text += decode(text, `<${open.at(-1)!.name}>`);
    if (next === -1) break;
    rest = rest.slice(next);
    if (rest.startsWith("<!--")) {
      const end = rest.indexOf("-->");
      if (end === -1 || rest.slice(4, end).includes("--")) throw new Error("bad comment");
      rest = rest.slice(end + 3);
      continue;
    }
    const close = new RegExp(`^</(${NAME})\\s*>`).exec(rest);
    if (close !== null) {
      const top = open.pop();
      if (top?.name !== close[1]) throw new Error(`</${close[1]}> closes ${top === undefined ? "nothing" : `<${top.name}>`}`);
      rest = rest.slice(close[0].length);
      continue;
    }
    const start = tag.exec(rest);
    if (start === null) throw new Error(`not a tag: ${rest.slice(0, 60)}`);
    if (open.length === 0 && ++roots > 1) throw new Error("more than one root element");
    const attributes: Record<string, string> = {};
    for (const [, key, , double, single] of start[2].matchAll(new RegExp(`(${NAME})\\s*=\\s*("([^"]*)"|'([^']*)')`, "g"))) {
      if (key in attributes) throw new Error(`attribute ${key} twice on <${start[1]}>`);
      attributes[key] = decode(double ?? single, `${start[1]} ${key}`);
    }
    const element = { name: start[1], attributes, text: "" };
    elements.push(element);
    if (start[3] !== "/") open.push(element);
    rest = rest.slice(start[0].length);
  }
  if (open.length > 0) throw new Error(`<${open.at(-1)!.name}> is never closed`);
  if (roots !== 1) throw new Error("no root element");
  return elements;
}

const disjoint = (a: LayoutBox, b: LayoutBox) => a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;

/** The boxes a shape's ink covers that text must stay out of: a line's segments, a dot, an arrowhead. */
function inkBoxes(shape: LayoutShape): LayoutBox[] {
  const around = (points: readonly (readonly [number, number])[]) => {
    const xs = points.map(([x]) => x);
    const ys = points.map(([, y]) => y);
    return { x: Math.min(...xs) - 1, y: Math.min(...ys) - 1, width: Math.max(...xs) - Math.min(...xs) + 2, height: Math.max(...ys) - Math.min(...ys) + 2 };
  };
  switch (shape.kind) {
    case "line":
      // Every line is straight or orthogonal, so a segment's box is the segment.
      return shape.points.slice(1).map((p, i) => around([shape.points[i], p]));
    case "dot":
      return [{ x: shape.x - shape.radius, y: shape.y - shape.radius, width: 2 * shape.radius, height: 2 * shape.radius }];
    case "arrowhead":
      return [around(shape.points)];
    default:
      return [];
  }
}

function checkLayout(topology: Topology) {
  const layout = layoutTopology(topology);
  const { texts } = layout;
  for (const [i, a] of texts.entries()) {
    expect(a.box.x >= 0 && a.box.y >= 0 && a.box.x + a.box.width <= layout.width && a.box.y + a.box.height <= layout.height, `${a.text} inside`).toBe(true);
    for (const b of texts.slice(i + 1)) expect(disjoint(a.box, b.box), `"${a.text}" and "${b.text}" overlap`).toBe(true);
    for (const shape of layout.shapes) {
      for (const ink of inkBoxes(shape)) expect(disjoint(a.box, ink), `a ${shape.kind} crosses "${a.text}"`).toBe(true);
      if (shape.kind === "line") {
        for (const point of shape.points) expect(point[0] >= 0 && point[0] <= layout.width && point[1] >= 0 && point[1] <= layout.height).toBe(true);
      }
    }
  }
  return layout;
}

describe("the SVG of every template", () => {
  it.each(STACKS)("%s: well-formed SVG 1.1 that names every node, network and NIC", (stack) => {
    const topology = topologyOf(stack);
    const svg = renderSvg(topology);
    const elements = parseXml(svg);
    expect(elements[0]).toMatchObject({ name: "svg", attributes: { xmlns: "http://www.w3.org/2000/svg", version: "1.1" } });
    expect(elements.find((e) => e.name === "title")?.text).toBe(`${stack}: lab topology`);
    const texts = elements.filter((e) => e.name === "text").map((e) => e.text);
    expect(texts).toContain(`lab host (${topology.host.kind})`);
    for (const net of topology.networks) {
      expect(texts).toContain(net.label);
      if (net.kind !== "nat") expect(net.label.startsWith(`${net.name}: `)).toBe(true);
      if (net.hostLink !== undefined) expect(texts).toContain(net.hostLink);
    }
    for (const node of topology.nodes) {
      expect(texts).toContain(node.name);
      expect(texts).toContain(`${node.cpus} vCPU, ${node.memoryMiB} MiB`);
      for (const nic of node.nics) expect(texts).toContain(nic.label);
      for (const w of node.workloads) expect(texts).toContain(w.label);
    }
    expect(renderSvg(topologyOf(stack))).toBe(svg);
  });

  it.each(STACKS)("%s: no text over another text, a line, a dot or past the picture's edge", (stack) => {
    const layout = checkLayout(topologyOf(stack));
    const nics = topologyOf(stack).nodes.flatMap((n) => n.nics);
    expect(layout.texts.filter((t) => t.role === "nic")).toHaveLength(nics.length);
  });

  it("keeps its rules where the seed labs do not go: two NICs on one network, a host line to a node beside networks", () => {
    const base = topologyOf("openstack-lab");
    const [controller, ...rest] = base.nodes;
    const twice = {
      ...controller,
      nics: [...controller.nics, { ...controller.nics[1], device: "enp0s10", ip: "192.168.1.12", label: "enp0s10 192.168.1.12" }],
    };
    const direct = { ...rest[0], hostLink: "NodePort + tunnel", role: "a node the host reaches itself" };
    checkLayout({ ...base, nodes: [twice, direct, ...rest.slice(1)] });
    checkLayout({ ...topologyOf("minikube"), networks: base.networks });
  });

  it("escapes every text for XML", () => {
    const topology: Topology = {
      name: `a<b>&"c'`,
      host: { kind: "q&a" },
      networks: [{ name: "n<1>", kind: "internal", label: "n<1>: internal & more", hostLink: `"quoted"` }],
      nodes: [
        { name: "x&y", cpus: 1, memoryMiB: 512, nics: [{ network: "n<1>", device: "eth<0>", promiscuous: false, label: "eth<0> & 'so'" }], workloads: [] },
      ],
    };
    const svg = renderSvg(topology);
    expect(svg).toContain("<title>a&lt;b&gt;&amp;&quot;c&apos;: lab topology</title>");
    const texts = parseXml(svg)
      .filter((e) => e.name === "text")
      .map((e) => e.text);
    expect(texts).toEqual(expect.arrayContaining(["lab host (q&a)", "n<1>: internal & more", `"quoted"`, "x&y", "eth<0> & 'so'"]));
    expect(escapeXml(`<&>"'`)).toBe("&lt;&amp;&gt;&quot;&apos;");
  });

  it("is refused by the well-formedness check when it is not XML", () => {
    expect(() => parseXml("<svg><text>a & b</text></svg>")).toThrow("raw &");
    expect(() => parseXml("<svg><g></svg>")).toThrow("closes <g>");
    expect(() => parseXml("<svg/><svg/>")).toThrow("more than one root");
    expect(() => parseXml('<svg a="1" a="2"/>')).toThrow("twice");
  });
});

describe("the Mermaid text", () => {
  it("is the topology output as it was, for every lab on VMs", () => {
    for (const stack of STACKS.filter((s) => stackLab(s).kind !== "minikube")) {
      const plan = labPlan(stackLab(stack), stack);
      expect(renderMermaid(labTopology(plan))).toBe(renderPlanMermaid(plan));
    }
    expect(renderMermaid(topologyOf("openstack-lab"))).toBe(
      [
        "flowchart LR",
        '  host(["lab host (virtualbox)"])',
        '  net_nat{{"NAT 10.0.2.0/24 (per node)"}}',
        '  host ---|"SSH forwards"| net_nat',
        '  net_management{{"management: hostonly 192.168.1.0/24"}}',
        '  host ---|"192.168.1.1"| net_management',
        '  net_guest{{"guest: hostonly 172.16.0.0/24"}}',
        '  host ---|"172.16.0.1"| net_guest',
        '  node_controller["controller<br/>2 vCPU, 6144 MiB"]',
        '  node_controller ---|"enp0s3 :22 ← 8222"| net_nat',
        '  node_controller ---|"enp0s8 192.168.1.11, promisc"| net_management',
        '  node_controller ---|"enp0s9 (no IP), promisc"| net_guest',
        '  node_compute1["compute1<br/>2 vCPU, 4096 MiB"]',
        '  node_compute1 ---|"enp0s3 :22 ← 8200"| net_nat',
        '  node_compute1 ---|"enp0s8 192.168.1.21, promisc"| net_management',
        '  node_compute1 ---|"enp0s9 (no IP), promisc"| net_guest',
        '  node_compute2["compute2<br/>2 vCPU, 4096 MiB"]',
        '  node_compute2 ---|"enp0s3 :22 ← 8201"| net_nat',
        '  node_compute2 ---|"enp0s8 192.168.1.22, promisc"| net_management',
        '  node_compute2 ---|"enp0s9 (no IP), promisc"| net_guest',
        "",
      ].join("\n"),
    );
    expect(renderMermaid(topologyOf("net-lab7"))).toContain('  net_mybridge{{"mybridge: bridged 192.168.50.0/24"}}\n  host ---|"192.168.50.1"| net_mybridge\n');
    expect(renderMermaid(topologyOf("net-lab5"))).toContain('  node_boxB ---|"enp0s8 (no IP), promisc"| net_networka\n');
  });

  it("draws minikube's node, its NodePort and the workloads on it", () => {
    expect(renderMermaid(topologyOf("minikube"))).toBe(
      [
        "flowchart LR",
        '  host(["lab host (local)"])',
        '  node_labstack_minikube["labstack-minikube<br/>minikube node, driver virtualbox<br/>2 vCPU, 2048 MiB"]',
        '  host ---|"NodePort"| node_labstack_minikube',
        '  svc{{"Service alpine-service NodePort 8080→80"}}',
        '  deploy["Deployment alpine: 2 × httpd:alpine"]',
        '  pvc[("PVC my-pvc 512Mi")]',
        '  pod["Pod pv-test /test"]',
        '  addon_ingress(["addon ingress"])',
        '  addon_dashboard(["addon dashboard"])',
        "  node_labstack_minikube --- svc --> deploy",
        "  node_labstack_minikube --- pod --> pvc",
        "  node_labstack_minikube --- addon_ingress",
        "  node_labstack_minikube --- addon_dashboard",
        "",
      ].join("\n"),
    );
  });
});
