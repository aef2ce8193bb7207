// `labstack graph`: the stack's topology as an SVG picture, drawn from the same data as its
// `topology` output, so the picture and the Mermaid text never disagree.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderSvg } from "../plan/topology.js";
import { kindOf } from "../stacks/index.js";
import type { LabConfigView } from "./session.js";

/** Writes the stack's topology as SVG to `file` (default `<stack>-topology.svg` here) and says where. */
export async function writeGraph(session: Pick<LabConfigView, "name" | "lab">, file: string | undefined, say: (line: string) => void): Promise<void> {
  const path = resolve(file ?? `${session.name}-topology.svg`);
  writeFileSync(path, renderSvg(kindOf(session.lab.kind)!.topology(session.lab, session.name)));
  say(`topology of ${session.name} written to ${path}`);
}
