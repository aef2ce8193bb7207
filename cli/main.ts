// labstack's command line: what a learner types every day beside `pulumi up` and `pulumi destroy`,
// named like containerlab's and netlab's. `labstack --help` lists the commands.
import { Command, InvalidArgumentError } from "commander";
import { capture, includeLabConfigs, includeLine, sshNode, writeSshConfig } from "./access.js";
import { type CheckResult, printChecks, runChecks } from "./checks.js";
import { writeGraph } from "./graph.js";
import { deleteCheckpoint, listCheckpoints, restoreCheckpoint, saveCheckpoint, startLab, stopLab } from "./lifecycle.js";
import { openConfig, openSession, type Session } from "./session.js";
import { labStatus, listLabs, printStatus } from "./status.js";
import { timed } from "./timed.js";
import { unlock } from "./unlock.js";

const say = (line: string) => console.log(line);
/** Exit 1 when a check is red: scripts and tests can rely on the status. */
const report = (results: CheckResult[]) => {
  if (!printChecks(results, say)) process.exitCode = 1;
};

const opened: Session[] = [];
/** The stack's session; the connections its runs share end with the command. */
const session = async (stack: string): Promise<Session> => {
  const s = await openSession(stack);
  opened.push(s);
  return s;
};

const program = new Command("labstack")
  .description("Reproducible virtualization labs as Pulumi stacks: bring one up with `pulumi up -s STACK`, then live in it with these commands.")
  .showHelpAfterError()
  // A node's command keeps its own options (`labstack ssh dev controller ip -br addr`).
  .enablePositionalOptions();

program
  .command("status")
  .description("the lab now, read-only: each VM running, each node's SSH answering, each service active, and the last up")
  .argument("<stack>", "the lab's stack")
  .action(async (stack: string) => {
    const lab = await session(stack);
    if (!printStatus(lab, await labStatus(lab), say)) process.exitCode = 1;
  });

program
  .command("labs")
  .description("every lab of this project on this host: its stack, kind, state and the memory its VMs are given")
  .action(async () => {
    const labs = await listLabs();
    if (labs.length === 0) say("no labs yet: pulumi up -s STACK");
    const width = Math.max(5, ...labs.map((l) => l.stack.length));
    say(`${"STACK".padEnd(width)}  KIND       MEMORY     STATE`);
    for (const l of labs)
      say(`${l.stack.padEnd(width)}  ${l.kind.padEnd(9)}  ${(l.memoryMiB === undefined ? "-" : `${l.memoryMiB} MiB`).padEnd(9)}  ${l.state}`);
  });

program
  .command("ssh-config")
  .description(
    "write the lab's ssh_config and key to ~/.ssh/labstack/ and include them at the top of ~/.ssh/config: then `ssh controller` works as in the posts",
  )
  .argument("<stack>")
  .action(async (stack: string) => {
    const file = writeSshConfig(await session(stack), say);
    if (includeLabConfigs()) say(`added '${includeLine()}' at the top of ~/.ssh/config`);
    say(`ssh NODE now reaches the lab's nodes (${file})`);
  });

program
  .command("ssh")
  .description("log in to a node as the lab's user, or run COMMAND there")
  .argument("<stack>")
  .argument("<node>")
  .argument("[command...]", "a command to run instead of a login shell")
  .passThroughOptions()
  .action(async (stack: string, node: string, command: string[]) => {
    process.exitCode = await sshNode(await session(stack), node, command);
  });

const positive = (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number of packets, at least 1");
  return n;
};
program
  .command("capture")
  .description("tcpdump on a node's interface (the posts' `sudo tcpdump -i enp0s8`), decoded on the terminal or into a pcap file for Wireshark")
  .argument("<stack>")
  .argument("<node>")
  .argument("<interface>", "the guest's name for it, e.g. enp0s8, br0, vxlan0")
  .argument("[filter...]", "a tcpdump filter, e.g. icmp, 'vlan 100'")
  .option("-w, --write <file>", "write a pcap file instead of decoding")
  .option("-c, --count <packets>", "stop after this many packets", positive)
  .action(async (stack: string, node: string, device: string, filter: string[], options: { write?: string; count?: number }) => {
    process.exitCode = await capture(await session(stack), node, device, { ...options, filter }, say);
  });

program
  .command("graph")
  .description("draw the lab's topology (host, networks, nodes, every NIC with its name and address) as an SVG picture")
  .argument("<stack>")
  .option("-o, --output <file>", "where to write it (default: STACK-topology.svg here)")
  .action(async (stack: string, options: { output?: string }) => writeGraph(await openConfig(stack), options.output, say));

program
  .command("check")
  .description("run the lab's checks again (the same `pulumi up` runs) and say what each saw")
  .argument("<stack>", "the lab's stack")
  .action(async (stack: string) => report(await runChecks(await session(stack))));

const checkpoint = program.command("checkpoint").description("checkpoints of every node of a lab, taken together (RAM and disks)");
checkpoint
  .command("save")
  .description("take checkpoint NAME of every node")
  .argument("<stack>")
  .argument("<name>", "lower-case letters, digits, . _ -")
  .action(async (stack: string, name: string) => timed(say, "saved", async () => saveCheckpoint(await session(stack), name, say)));
checkpoint
  .command("restore")
  .description("every node back to checkpoint NAME (refused, changing nothing, when a node lacks it), then the checks")
  .argument("<stack>")
  .argument("<name>")
  .action(async (stack: string, name: string) => report(await timed(say, "restored", async () => restoreCheckpoint(await session(stack), name, say))));
checkpoint
  .command("list")
  .description("the lab's checkpoints and what each keeps of every node (MiB of RAM and device state)")
  .argument("<stack>")
  .action(async (stack: string) => {
    const list = await listCheckpoints(await session(stack));
    if (list.length === 0) say("no checkpoints");
    for (const c of list) {
      const sizes = Object.entries(c.sizes).map(([node, size]) => `${node} ${size} MiB`);
      say(`${c.name}${c.complete ? "" : " (incomplete: not every node has it)"}: ${sizes.join(", ")}`);
    }
  });
checkpoint
  .command("delete")
  .description("delete checkpoint NAME from every node")
  .argument("<stack>")
  .argument("<name>")
  .action(async (stack: string, name: string) => deleteCheckpoint(await session(stack), name, say));

program
  .command("stop")
  .description("save every VM's state to its disk and stop it: the lab's RAM and CPU go back to the host")
  .argument("<stack>")
  .action(async (stack: string) => timed(say, "stopped", async () => stopLab(await session(stack), say)));
for (const [name, what] of [
  ["start", "resume a stopped lab where it was (each VM from its saved state; pulumi up --refresh for what a reboot took), then the checks"],
  ["recover", "bring a lab back after its host rebooted (pulumi up --refresh: VMs, bridges, the APT cache), then the checks"],
] as const) {
  program
    .command(name)
    .description(what)
    .argument("<stack>")
    .action(async (stack: string) =>
      report(await timed(say, name === "start" ? "started" : "recovered", async () => startLab(await session(stack), say, name))),
    );
}

program
  .command("unlock")
  .description("after a pulumi up killed outright: take its lock and repair what it cut short in the local state backend, so pulumi up finishes its work")
  .argument("<stack>")
  .action(async (stack: string) => unlock(stack, say));

program
  .parseAsync()
  .catch((e: Error) => {
    console.error(`labstack: ${e.message}`);
    process.exitCode = 2;
  })
  .finally(() => {
    for (const s of opened) s.close();
  });
