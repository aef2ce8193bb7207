// The lab host is the machine running Pulumi: scripts run as local commands.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { types } from "@pulumi/command";
import { homedir } from "node:os";
import { join } from "node:path";
import { scriptPath, shellQuote } from "../plan/steps.js";
import type { HostCommand, HostScriptArgs, LabHostConnection } from "./connection.js";

export interface LocalHostArgs {
  /** Stack name, which names the state folder. */
  readonly stack: string;
  /** @default ~/.local/share/labstack/<stack> */
  readonly stateDir?: string;
}

export class LocalHost implements LabHostConnection {
  readonly stateDir: string;

  constructor(args: LocalHostArgs) {
    this.stateDir = args.stateDir ?? join(homedir(), ".local", "share", "labstack", args.stack);
  }

  script(name: string, args: HostScriptArgs, opts: pulumi.CustomResourceOptions): HostCommand {
    const path = shellQuote(scriptPath(args.script));
    return new command.local.Command(
      name,
      {
        create: `bash ${path} up`,
        delete: `bash ${path} down`,
        // A parameter change re-runs `up` in place: the scripts converge, so this is safe.
        update: `bash ${path} up`,
        environment: args.environment,
        triggers: args.triggers,
        logging: "stdoutAndStderr",
        addPreviousOutputInEnv: false,
      },
      opts,
    );
  }

  nodeConnection(port: number, user: string, privateKey: pulumi.Input<string>): types.input.remote.ConnectionArgs {
    // VMs forward SSH on the host's loopback; a fresh VM needs minutes under TCG, so dial patiently.
    return { host: "127.0.0.1", port, user, privateKey, dialErrorLimit: 200, perDialTimeout: 10 };
  }
}
