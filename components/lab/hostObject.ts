// A thing the lab makes on its host with a script (a VM, a bridge, the APT cache, a daemon), and
// the Health that reads it back at `pulumi refresh`: a drift the status program reports re-runs
// the script's `up` at the next `up`, and nothing else.
import * as pulumi from "@pulumi/pulumi";
import { bundle } from "../../plan/scripts.js";
import type { HostCommand, HostScriptArgs, LabHostConnection } from "../host/connection.js";
import { Health } from "./Health.js";

export interface HostObjectArgs extends HostScriptArgs {
  /** The parameters its script's `status` action needs; none: not read back. @default not read back */
  readonly status?: pulumi.Input<Readonly<Record<string, string>>>;
}

export interface HostObject {
  readonly command: HostCommand;
  readonly health?: Health;
}

/** The object's command `name` and, with `status`, its Health `<name>-health`, both children of `opts.parent`. */
export function hostObject(host: LabHostConnection, name: string, args: HostObjectArgs, opts: pulumi.CustomResourceOptions): HostObject {
  const { status, ...script } = args;
  const health =
    status === undefined
      ? undefined
      : new Health(
          `${name}-health`,
          { target: host.target, program: pulumi.output(status).apply((env) => bundle(args.script, env as Record<string, string>)) },
          { parent: opts.parent },
        );
  const command = host.script(name, health === undefined ? script : { ...script, repair: health.generation }, opts);
  return { command, health };
}
