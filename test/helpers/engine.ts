// The real Pulumi engine for tests: the CLI and language host that scripts/ensure-pulumi.sh
// builds from Go modules, a file:// backend and passphrase secrets in a temporary folder, and a
// copy of the project so test stacks never write Pulumi.<stack>.yaml files into the repository.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation/index.js";
import { stringify } from "yaml";
import { ROOT } from "./labs.js";

/** Builds (or finds) the engine; returns the folder holding `pulumi`. `flags` are ensure-pulumi.sh's
 * (`"--provider", "kubernetes"` for a program that needs more than the command provider).
 * LABSTACK_ENGINE_BIN names such a folder directly (an engine installed another way). */
export function engineBin(...flags: string[]): string {
  if (process.env.LABSTACK_ENGINE_BIN) return process.env.LABSTACK_ENGINE_BIN;
  const out = execFileSync("bash", [join(ROOT, "scripts", "ensure-pulumi.sh"), ...flags], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return out.trim().split("\n").pop()!;
}

export interface EngineProject {
  readonly dir: string;
  stack(name: string, lab: unknown): Promise<Stack>;
}

/** The engine's options for a workspace in `dir`: state, secrets and plugins all local, no
 * downloads. `root` may hold a bin/pulumi of its own (a wrapper that enters a namespace). */
export async function engineOptions(bin: string, dir: string, opts: { root?: string } = {}) {
  mkdirSync(join(dir, ".state"), { recursive: true });
  const pulumiCommand = await PulumiCommand.get({ root: opts.root ?? dirname(bin), skipVersionCheck: true });
  const pulumiHome = join(dir, ".pulumi-home");
  // ensure-pulumi.sh installs its providers into a plugin cache beside the engine. Taken from
  // there rather than from PATH, they spare every operation the engine's "using
  // pulumi-resource-X from $PATH" warning; the test's own home gets that cache by a link.
  const plugins = join(dirname(bin), "pulumi-home", "plugins");
  const cached = existsSync(plugins);
  if (cached && !existsSync(join(pulumiHome, "plugins"))) {
    mkdirSync(pulumiHome, { recursive: true });
    symlinkSync(plugins, join(pulumiHome, "plugins"));
  }
  const envVars = {
    PATH: `${bin}:${process.env.PATH}`,
    ...(cached ? { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" } : {}),
    PULUMI_BACKEND_URL: `file://${join(dir, ".state")}`,
    PULUMI_CONFIG_PASSPHRASE: "labstack-e2e",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The language host the Go proxy serves predates Pulumi.yaml's nodeargs option.
    NODE_OPTIONS: "--import=tsx",
  };
  return { pulumiCommand, pulumiHome, envVars };
}

export async function engineProject(bin: string): Promise<EngineProject> {
  const dir = mkdtempSync(join(tmpdir(), "labstack-e2e-"));
  const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  execFileSync("tar", ["-cf", join(dir, ".project.tar"), ...files], { cwd: ROOT });
  execFileSync("tar", ["-xf", ".project.tar"], { cwd: dir });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const options = await engineOptions(bin, dir);
  return {
    dir,
    async stack(name, lab) {
      writeFileSync(join(dir, `Pulumi.${name}.yaml`), stringify({ config: { "labstack:lab": lab } }));
      return LocalWorkspace.createOrSelectStack({ stackName: name, workDir: dir }, options);
    },
  };
}
