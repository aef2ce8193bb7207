// A lab's topology as data (the lab host, its networks, its nodes and how they are wired), and
// the two pictures drawn from it: the Mermaid text of the `topology` output and an SVG image
// (`labstack graph`, the README's pictures). Both renderers read only this data, so a lab kind
// that is not made of planned VMs (minikube) is drawn the same way once it says what it is.
import { type LabNetwork, NAT } from "../model/schema.js";
import type { LabPlan, NetworkPlan, NicPlan } from "./types.js";

export type NetworkKind = LabNetwork["kind"];

export interface TopologyHost {
  /** What the host is named by in the pictures: the hypervisor of a lab on VMs; for minikube, whose
   * driver belongs to its node, where the host is (local, ssh, droplet). */
  readonly kind: string;
}

export interface TopologyNetwork {
  /** The network's name in the lab; NIC links name it. */
  readonly name: string;
  /** What the host and the nodes share on it; the SVG colours its bar by it. */
  readonly kind: NetworkKind;
  /** Its range: the NAT's is the 10.0.2.0/24 every node has for itself. */
  readonly cidr?: string;
  /** The lab host's own address on it. */
  readonly hostAddress?: string;
  /** The host device it stands on (a bridged network's bridge). */
  readonly device?: string;
  /** How the pictures name it: `management: hostonly 192.168.1.0/24`, `NAT 10.0.2.0/24 (per node)`. */
  readonly label: string;
  /** The label of the host's line to it (its address, `SSH forwards`, the bridge); none: the host is not on it. */
  readonly hostLink?: string;
}

export interface TopologyNic {
  /** The name of the network it is on. */
  readonly network: string;
  /** The name the guest kernel gives it (enp0s8). */
  readonly device: string;
  /** Its static address; none: brought up unnumbered. */
  readonly ip?: string;
  /** Takes every frame on the network (a guest that bridges, as Neutron does). */
  readonly promiscuous: boolean;
  /** A NAT NIC's forward: this host port reaches the guest's port 22. */
  readonly sshPort?: number;
  /** How the pictures label its line: `enp0s8 192.168.1.11, promisc`, `enp0s3 :22 ← 8200`. */
  readonly label: string;
}

export type WorkloadKind = "service" | "deployment" | "volume" | "pod" | "addon";

/** Something running on a node that the lab itself makes (minikube: the posts' workloads). */
export interface TopologyWorkload {
  /** Unique in the topology: the Mermaid id of its shape. */
  readonly id: string;
  /** Which shape and colour the pictures give it. */
  readonly kind: WorkloadKind;
  /** What the pictures write in it: `Service alpine-service NodePort 8080→80`. */
  readonly label: string;
  /** The id of the workload this one sends to or mounts (a Service's Deployment, a Pod's claim). */
  readonly uses?: string;
}

export interface TopologyNode {
  /** The node's name in the lab (minikube's: its profile). */
  readonly name: string;
  /** What it is when not a plain VM of the lab: `minikube node, driver virtualbox`. */
  readonly role?: string;
  /** Its virtual CPUs. */
  readonly cpus: number;
  /** Its memory in MiB. */
  readonly memoryMiB: number;
  /** Its NICs in the guest's PCI order. */
  readonly nics: readonly TopologyNic[];
  /** The label of a line straight from the host, for a node on no lab network (minikube's NodePort). */
  readonly hostLink?: string;
  /** What the lab runs on it, drawn under it; none for a plain VM. */
  readonly workloads: readonly TopologyWorkload[];
}

export interface Topology {
  /** The stack's name. */
  readonly name: string;
  /** The lab host: every host line starts at it. */
  readonly host: TopologyHost;
  /** In the lab's order, drawn top to bottom. */
  readonly networks: readonly TopologyNetwork[];
  /** In the lab's order, drawn left to right. */
  readonly nodes: readonly TopologyNode[];
}

function networkOf(net: NetworkPlan): TopologyNetwork {
  const { config } = net;
  // Every node has a NAT of its own, VirtualBox's range whatever the config says.
  const cidr = net.kind === "nat" ? NAT.network.text : config.cidr?.text;
  const label = net.kind === "nat" ? `NAT ${cidr} (per node)` : `${net.name}: ${net.kind}${cidr ? ` ${cidr}` : ""}`;
  const hostLink =
    net.kind === "nat" ? "SSH forwards" : config.hostAddress !== undefined ? config.hostAddress : net.kind === "bridged" ? config.device : undefined;
  return { name: net.name, kind: net.kind, cidr, hostAddress: config.hostAddress, device: config.device, label, hostLink };
}

function nicOf(nic: NicPlan): TopologyNic {
  const label =
    nic.kind === "nat" ? `${nic.device} :22 ← ${nic.sshPort}` : `${nic.device}${nic.ip ? ` ${nic.ip}` : " (no IP)"}${nic.promiscuous ? ", promisc" : ""}`;
  return { network: nic.network.name, device: nic.device, ip: nic.ip, promiscuous: nic.promiscuous, sshPort: nic.sshPort, label };
}

/** A lab on VMs as its plan has it: every network, every node and every NIC as the guest names it. */
export function labTopology(plan: LabPlan): Topology {
  return {
    name: plan.name,
    host: { kind: plan.hypervisor.kind },
    networks: plan.networks.map(networkOf),
    nodes: plan.nodes.map((node) => ({
      name: node.name,
      cpus: node.config.cpus,
      memoryMiB: node.config.memoryMiB,
      nics: node.nics.map(nicOf),
      workloads: [],
    })),
  };
}

const mermaidId = (text: string) => text.replace(/[^a-zA-Z0-9_]/g, "_");

const MERMAID_SHAPES: Record<WorkloadKind, (label: string) => string> = {
  service: (l) => `{{"${l}"}}`,
  deployment: (l) => `["${l}"]`,
  volume: (l) => `[("${l}")]`,
  pod: (l) => `["${l}"]`,
  addon: (l) => `(["${l}"])`,
};

/** The `topology` output: a Mermaid flowchart that GitHub and the Pulumi console draw. */
export function renderMermaid(topology: Topology): string {
  const lines = ["flowchart LR", `  host(["lab host (${topology.host.kind})"])`];
  for (const net of topology.networks) {
    lines.push(`  net_${mermaidId(net.name)}{{"${net.label}"}}`);
    if (net.hostLink !== undefined) lines.push(`  host ---|"${net.hostLink}"| net_${mermaidId(net.name)}`);
  }
  for (const node of topology.nodes) {
    const id = `node_${mermaidId(node.name)}`;
    const label = [node.name, ...(node.role !== undefined ? [node.role] : []), `${node.cpus} vCPU, ${node.memoryMiB} MiB`].join("<br/>");
    lines.push(`  ${id}["${label}"]`);
    for (const nic of node.nics) lines.push(`  ${id} ---|"${nic.label}"| net_${mermaidId(nic.network)}`);
    if (node.hostLink !== undefined) lines.push(`  host ---|"${node.hostLink}"| ${id}`);
    for (const w of node.workloads) lines.push(`  ${mermaidId(w.id)}${MERMAID_SHAPES[w.kind](w.label)}`);
    const used = new Set(node.workloads.flatMap((w) => (w.uses !== undefined ? [w.uses] : [])));
    for (const w of node.workloads) {
      const next = w.uses !== undefined ? ` --> ${mermaidId(w.uses)}` : "";
      if (!used.has(w.id)) lines.push(`  ${id} --- ${mermaidId(w.id)}${next}`);
      else if (next !== "") lines.push(`  ${mermaidId(w.id)}${next}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

// ---- SVG ----------------------------------------------------------------------------------------
// The layout is computed first as plain data (boxes, lines, texts with their bounding boxes), so a
// test can prove that no two texts overlap and no line crosses a text without drawing anything.
// Text widths are estimated for a monospace font (DejaVu Sans Mono advances 0.602 em), which is
// why every text is set in one.

/** An axis-aligned rectangle in SVG user units (pixels), y downwards. */
export interface LayoutBox {
  /** Its left edge. */
  readonly x: number;
  /** Its top edge. */
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What a text says about the lab, so a test can find, say, every NIC's label. */
export type TextRole = "title" | "host" | "hostLink" | "network" | "node" | "nodeDetail" | "nic" | "workload";

export interface LayoutText {
  /** What it says, unescaped. */
  readonly text: string;
  readonly role: TextRole;
  /** Where the text starts. */
  readonly x: number;
  /** Its baseline. */
  readonly y: number;
  /** Font size in pixels. */
  readonly size: number;
  readonly bold: boolean;
  /** Its colour. */
  readonly fill: string;
  /** Generous bounds of the drawn glyphs: the estimated advance, ascent and descent. */
  readonly box: LayoutBox;
}

export type LayoutShape =
  /** A network's bar: under every line, which may pass over it. */
  | { readonly kind: "bar"; readonly box: LayoutBox; readonly fill: string; readonly stroke: string }
  /** A host, node or workload box: over the lines that end on its border. */
  | { readonly kind: "rect"; readonly box: LayoutBox; readonly fill: string; readonly stroke: string; readonly radius: number; readonly dashed: boolean }
  /** A straight or orthogonal line through its points. */
  | { readonly kind: "line"; readonly points: readonly (readonly [number, number])[]; readonly stroke: string }
  /** Where a line is on a bar. */
  | { readonly kind: "dot"; readonly x: number; readonly y: number; readonly radius: number; readonly fill: string }
  /** The end of a workload's arrow to what it uses. */
  | { readonly kind: "arrowhead"; readonly points: readonly (readonly [number, number])[]; readonly fill: string };

export interface TopologyLayout {
  /** The SVG's `<title>`. */
  readonly title: string;
  /** The picture's size in pixels. */
  readonly width: number;
  readonly height: number;
  /** Drawn by layer (bars, lines, boxes, dots and arrowheads), in this order within one, under every text. */
  readonly shapes: readonly LayoutShape[];
  /** Drawn last, over everything. */
  readonly texts: readonly LayoutText[];
}

export const SVG_FONT = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace";
const ADVANCE = 0.62;
const ASCENT = 0.8;
const DESCENT = 0.25;

const MARGIN = 16;
const PAD = 10;
/** Between two parallel lines of one column. */
const LINE_GAP = 14;
/** From a line to its label. */
const LABEL_GAP = 5;
const COLUMN_GAP = 28;
/** Between a bar and the next, for one row of labels above the lower bar and one below the upper. */
const BAND = 38;
const BAR = 24;
const HOST_ROW = 30;
const LINE_HEIGHT = 17;
const WORKLOAD_ROW = 30;
const WORKLOAD_HEIGHT = 22;
const SMALL = 12;
const LARGE = 13;
const TITLE = 15;

/** Bar colours by network kind: a light fill to write on, a dark stroke for its lines' dots. */
export const KIND_COLOURS: Readonly<Record<NetworkKind, { readonly fill: string; readonly stroke: string }>> = {
  nat: { fill: "#fde3c8", stroke: "#c8691c" },
  hostonly: { fill: "#d7e6fa", stroke: "#2c66b8" },
  internal: { fill: "#e8ddf6", stroke: "#6d45a8" },
  bridged: { fill: "#d6f0da", stroke: "#2b7d3c" },
};

const WORKLOAD_COLOURS: Readonly<Record<WorkloadKind, { readonly fill: string; readonly stroke: string }>> = {
  service: { fill: "#fff3c4", stroke: "#a8850a" },
  deployment: { fill: "#dcecfb", stroke: "#2c66b8" },
  pod: { fill: "#dcecfb", stroke: "#2c66b8" },
  volume: { fill: "#ececec", stroke: "#6b6b6b" },
  addon: { fill: "#f6f6f6", stroke: "#6b6b6b" },
};

const INK = "#222222";
const MUTED = "#555555";
const LINE = "#444444";

export const textWidth = (text: string, size: number) => Math.ceil([...text].length * ADVANCE * size);

/** Where everything goes: the host box on top, a bar a network under it, the nodes under the bars,
 * a vertical line a NIC from its node up to the near side of its bar (a dot where it ends), the
 * host's lines down to the near side of theirs, every label beside the end of its line. A line
 * passes over the bars between; only a dot says a line is on a bar. */
export function layoutTopology(topology: Topology): TopologyLayout {
  const shapes: LayoutShape[] = [];
  const texts: LayoutText[] = [];
  const text = (value: string, role: TextRole, x: number, y: number, size = SMALL, bold = false, fill = INK) => {
    const box = { x, y: y - Math.ceil(ASCENT * size), width: textWidth(value, size), height: Math.ceil((ASCENT + DESCENT) * size) };
    texts.push({ text: value, role, x, y, size, bold, fill, box });
  };
  const rect = (box: LayoutBox, fill: string, stroke: string, radius = 0, dashed = false) => shapes.push({ kind: "rect", box, fill, stroke, radius, dashed });
  const line = (...points: (readonly [number, number])[]) => shapes.push({ kind: "line", points, stroke: LINE });
  const dot = (x: number, y: number, fill: string) => shapes.push({ kind: "dot", x, y, radius: 4, fill });

  const { networks, nodes } = topology;
  const netIndex = new Map(networks.map((net, i) => [net.name, i]));
  const hostNets = networks.filter((net) => net.hostLink !== undefined);
  // Rows of host→node lines: the rightmost node's on top, so no line drops through a lower row's label.
  const hostNodes = nodes.filter((node) => node.hostLink !== undefined).reverse();
  const hostLabels = [...hostNets.map((n) => n.hostLink!), ...hostNodes.map((n) => n.hostLink!)];

  // Host column: the line to the highest target is the rightmost, and each label sits right of its
  // line, so the lines going further down pass on the left of every label.
  const hostLineX = (i: number) => MARGIN + PAD + (hostLabels.length - 1 - i) * LINE_GAP;
  const hostTitle = `lab host (${topology.host.kind})`;
  const hostBoxWidth = Math.max(textWidth(hostTitle, LARGE) + 2 * PAD, (hostLabels.length - 1) * LINE_GAP + 2 * PAD);
  const hostColumn = Math.max(hostBoxWidth, ...hostLabels.map((label, i) => hostLineX(i) - MARGIN + LABEL_GAP + textWidth(label, SMALL))) + COLUMN_GAP;

  // Node columns: a node's lines left to right by the height of their bar, so a label (right of its
  // line, just under its bar) only has lines to bars further up on its left; a second NIC on the
  // same bar starts past the first one's label.
  const columns = nodes.map((node) => {
    for (const nic of node.nics) {
      if (!netIndex.has(nic.network)) throw new Error(`${node.name}'s ${nic.device} is on ${nic.network}, not a network of ${topology.name}`);
    }
    const nics = [...node.nics].sort((a, b) => netIndex.get(a.network)! - netIndex.get(b.network)!);
    const attach: number[] = [];
    let x = node.hostLink !== undefined ? PAD + LINE_GAP : PAD;
    nics.forEach((nic, j) => {
      if (j > 0) x += nic.network === nics[j - 1].network ? LABEL_GAP + textWidth(nics[j - 1].label, SMALL) + LINE_GAP : LINE_GAP;
      attach.push(x);
    });
    const details = [...(node.role !== undefined ? [node.role] : []), `${node.cpus} vCPU, ${node.memoryMiB} MiB`];
    const boxWidth = Math.max(textWidth(node.name, LARGE) + 2 * PAD, ...details.map((d) => textWidth(d, SMALL) + 2 * PAD), (attach.at(-1) ?? 0) + PAD);
    const rows = workloadRows(node.workloads);
    const rowsWidth = Math.max(
      0,
      ...rows.map((row) => 2 * PAD + LINE_GAP + row.reduce((w, item, k) => w + (k > 0 ? LINE_GAP * 2 : 0) + workloadWidth(item), 0)),
    );
    const labelsWidth = Math.max(0, ...nics.map((nic, j) => attach[j] + LABEL_GAP + textWidth(nic.label, SMALL)));
    return { node, nics, attach, details, boxWidth, rows, width: Math.max(boxWidth, labelsWidth, rowsWidth) + COLUMN_GAP };
  });

  const barLabelWidth = Math.max(0, ...networks.map((net) => textWidth(net.label, SMALL))) + 2 * PAD;
  const columnsLeft = MARGIN + hostColumn;
  const barLabelX = columnsLeft + columns.reduce((w, c) => w + c.width, 0);
  const title = `${topology.name}: lab topology`;
  const width = Math.max(barLabelX + (networks.length > 0 ? barLabelWidth : 0), MARGIN + textWidth(title, TITLE)) + MARGIN;

  text(title, "title", MARGIN, MARGIN + Math.ceil(ASCENT * TITLE), TITLE, true);
  const hostTop = MARGIN + 28;
  const hostBottom = hostTop + 30;
  rect({ x: MARGIN, y: hostTop, width: hostBoxWidth, height: hostBottom - hostTop }, "#eef1f5", "#333333", 6);
  text(hostTitle, "host", MARGIN + PAD, hostTop + 20, LARGE, true);

  let y = hostBottom;
  const bars = networks.map((net) => {
    const top = y + BAND;
    y = top + BAR;
    const colours = KIND_COLOURS[net.kind];
    shapes.push({ kind: "bar", box: { x: MARGIN, y: top, width: width - 2 * MARGIN, height: BAR }, fill: colours.fill, stroke: colours.stroke });
    text(net.label, "network", barLabelX + PAD, top + 16, SMALL, true);
    return { top, bottom: top + BAR, colours };
  });
  if (networks.length > 0) y += BAND;
  const rowsTop = y;
  y += hostNodes.length * HOST_ROW + (hostNodes.length > 0 || networks.length === 0 ? 12 : 0);
  const nodesTop = y;

  hostNets.forEach((net, i) => {
    const x = hostLineX(i);
    const bar = bars[netIndex.get(net.name)!];
    line([x, hostBottom], [x, bar.top]);
    dot(x, bar.top, bar.colours.stroke);
    text(net.hostLink!, "hostLink", x + LABEL_GAP, bar.top - 7);
  });

  let left = columnsLeft;
  const nodeLeft = new Map<string, number>();
  let bottom = nodesTop;
  for (const column of columns) {
    const { node } = column;
    nodeLeft.set(node.name, left);
    const height = PAD + LINE_HEIGHT * (1 + column.details.length) + PAD - 4;
    rect({ x: left, y: nodesTop, width: column.boxWidth, height }, "#f7f7f7", "#333333", 6);
    text(node.name, "node", left + PAD, nodesTop + PAD + 12, LARGE, true);
    column.details.forEach((d, k) => text(d, "nodeDetail", left + PAD, nodesTop + PAD + 12 + LINE_HEIGHT * (k + 1), SMALL, false, MUTED));
    column.nics.forEach((nic, j) => {
      const x = left + column.attach[j];
      const bar = bars[netIndex.get(nic.network)!];
      line([x, nodesTop], [x, bar.bottom]);
      dot(x, bar.bottom, bar.colours.stroke);
      text(nic.label, "nic", x + LABEL_GAP, bar.bottom + 5 + Math.ceil(ASCENT * SMALL));
    });
    bottom = Math.max(bottom, nodesTop + height, layoutWorkloads(column.rows, left, nodesTop + height, shapes, text));
    left += column.width;
  }

  hostNodes.forEach((node, r) => {
    const i = hostNets.length + r;
    const x = hostLineX(i);
    const rowY = rowsTop + (r + 1) * HOST_ROW - 6;
    const target = nodeLeft.get(node.name)! + PAD;
    line([x, hostBottom], [x, rowY], [target, rowY], [target, nodesTop]);
    text(node.hostLink!, "hostLink", x + LABEL_GAP, rowY - 6);
  });

  return { title, width, height: bottom + MARGIN, shapes, texts };
}

/** A node's workloads a row each, from a workload no other uses along what it uses; one that no
 * such chain reaches (a cycle of uses) still gets a row of its own. */
function workloadRows(workloads: readonly TopologyWorkload[]): TopologyWorkload[][] {
  const byId = new Map(workloads.map((w) => [w.id, w]));
  const used = new Set(workloads.flatMap((w) => (w.uses !== undefined ? [w.uses] : [])));
  const rows = workloads
    .filter((w) => !used.has(w.id))
    .map((root) => {
      const row = [root];
      for (let next = byId.get(root.uses ?? ""); next !== undefined && !row.includes(next); next = byId.get(next.uses ?? "")) row.push(next);
      return row;
    });
  const drawn = new Set(rows.flat());
  return [...rows, ...workloads.filter((w) => !drawn.has(w)).map((w) => [w])];
}

const workloadWidth = (w: TopologyWorkload) => textWidth(w.label, SMALL) + 2 * PAD;

/** Under the node: a spine from the node, one row a chain of workloads, arrows along `uses`. Returns the bottom. */
function layoutWorkloads(
  rows: readonly TopologyWorkload[][],
  left: number,
  top: number,
  shapes: LayoutShape[],
  text: (value: string, role: TextRole, x: number, y: number) => void,
): number {
  if (rows.length === 0) return top;
  const spine = left + PAD + 4;
  const rowTop = (r: number) => top + 10 + r * WORKLOAD_ROW;
  const mid = (r: number) => rowTop(r) + WORKLOAD_HEIGHT / 2;
  shapes.push({
    kind: "line",
    points: [
      [spine, top],
      [spine, mid(rows.length - 1)],
    ],
    stroke: LINE,
  });
  rows.forEach((row, r) => {
    let x = spine + LINE_GAP;
    shapes.push({
      kind: "line",
      points: [
        [spine, mid(r)],
        [x, mid(r)],
      ],
      stroke: LINE,
    });
    row.forEach((w, k) => {
      if (k > 0) {
        const end = x + 2 * LINE_GAP;
        shapes.push({
          kind: "line",
          points: [
            [x, mid(r)],
            [end - 6, mid(r)],
          ],
          stroke: LINE,
        });
        shapes.push({
          kind: "arrowhead",
          points: [
            [end - 7, mid(r) - 4],
            [end, mid(r)],
            [end - 7, mid(r) + 4],
          ],
          fill: LINE,
        });
        x = end;
      }
      const colours = WORKLOAD_COLOURS[w.kind];
      const box = { x, y: rowTop(r), width: workloadWidth(w), height: WORKLOAD_HEIGHT };
      shapes.push({ kind: "rect", box, fill: colours.fill, stroke: colours.stroke, radius: w.kind === "addon" ? 11 : 4, dashed: w.kind === "addon" });
      text(w.label, "workload", x + PAD, rowTop(r) + 15);
      x += box.width;
    });
  });
  return rowTop(rows.length - 1) + WORKLOAD_HEIGHT;
}

/** Text as XML character data or an attribute value. */
export const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");

const LAYERS: Record<LayoutShape["kind"], number> = { bar: 0, line: 1, rect: 2, arrowhead: 3, dot: 3 };

function shapeSvg(shape: LayoutShape): string {
  switch (shape.kind) {
    case "bar": {
      const { x, y, width, height } = shape.box;
      return `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="3" fill="${shape.fill}" stroke="${shape.stroke}" stroke-width="1.5"/>`;
    }
    case "rect": {
      const { x, y, width, height } = shape.box;
      const dash = shape.dashed ? ` stroke-dasharray="4 3"` : "";
      return `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="${shape.radius}" fill="${shape.fill}" stroke="${shape.stroke}" stroke-width="1.5"${dash}/>`;
    }
    case "line": {
      const points = shape.points.map(([x, y]) => `${x},${y}`).join(" ");
      // The white casing cuts a gap where the line passes over a bar it is not on.
      return [
        `<polyline points="${points}" fill="none" stroke="#ffffff" stroke-width="5"/>`,
        `<polyline points="${points}" fill="none" stroke="${shape.stroke}" stroke-width="1.5"/>`,
      ].join("\n  ");
    }
    case "dot":
      return `<circle cx="${shape.x}" cy="${shape.y}" r="${shape.radius}" fill="${shape.fill}" stroke="#ffffff" stroke-width="1"/>`;
    case "arrowhead":
      return `<polygon points="${shape.points.map(([x, y]) => `${x},${y}`).join(" ")}" fill="${shape.fill}"/>`;
  }
}

/** The layout as an SVG 1.1 document: deterministic, self-contained, no script, no external font. */
export function svgOf(layout: TopologyLayout): string {
  const shapes = layout.shapes
    .map((shape, i) => ({ shape, i }))
    .sort((a, b) => LAYERS[a.shape.kind] - LAYERS[b.shape.kind] || a.i - b.i)
    .map(({ shape }) => shapeSvg(shape));
  const texts = layout.texts.map(
    (t) => `<text x="${t.x}" y="${t.y}" font-size="${t.size}"${t.bold ? ` font-weight="bold"` : ""} fill="${t.fill}">${escapeXml(t.text)}</text>`,
  );
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="${escapeXml(SVG_FONT)}">`,
    `  <title>${escapeXml(layout.title)}</title>`,
    `  <rect x="0" y="0" width="${layout.width}" height="${layout.height}" fill="#ffffff"/>`,
    ...[...shapes, ...texts].map((s) => `  ${s}`),
    `</svg>`,
    "",
  ].join("\n");
}

/** The topology as an SVG picture: host on top, a bar a network, nodes below, a line a NIC. */
export const renderSvg = (topology: Topology): string => svgOf(layoutTopology(topology));
