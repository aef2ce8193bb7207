// What `labstack start` and `recover` print when the engine's `pulumi up --refresh` fails.
import { describe, expect, it } from "vitest";
import { engineDiagnostics } from "../../../cli/lifecycle.js";

// The Automation API's error for a failed up, as it came from `labstack start` on a lab whose
// lab host had lost its way to the package mirror (shortened: hundreds of progress lines).
const FAILED_UP = `code: -2
 stdout: 
 stderr: Command failed with exit code 1: pulumi up --yes --skip-preview --refresh --exec-kind auto.local --stack dev --non-interactive
Updating (dev):
    pulumi:pulumi:Stack labstack-dev  warning: using pulumi-resource-command from $PATH at /cache/bin/pulumi-resource-command
 ~  labstack:lab:Node dev-controller refreshing (0s) 
 ~  command:local:Command dev-preflight-run updating (0s) [diff: ~stdin]; error: exit status 1: running "bash -s up":
 ~  command:local:Command dev-preflight-run **updating failed** [diff: ~stdin]; error: exit status 1: running "bash -s up":
    pulumi:pulumi:Stack labstack-dev **failed** 1 error; 5 warnings
Diagnostics:
  command:local:Command (dev-preflight-run):
    error: exit status 1: running "bash -s up":
    preflight: labstack:lab.image.build.mirror: the local host vm cannot fetch http://deb.debian.org/debian/dists/bookworm/Release

  pulumi:pulumi:Stack (labstack-dev):
    warning: using pulumi-resource-kubernetes from $PATH at /cache/bin/pulumi-resource-kubernetes
    warning: using pulumi-resource-command from $PATH at /cache/bin/pulumi-resource-command
    error: update failed

Outputs:
  - description: "OpenStack playground (Lab1)"
  - nodes      : [
    ]

Resources:
    11 unchanged
    2 errored

Duration: 4s
`;

describe("engineDiagnostics", () => {
  it("is the engine's Diagnostics alone: each error under its resource, without progress lines, outputs or the providers' PATH notes", () => {
    expect(engineDiagnostics(FAILED_UP)).toBe(
      [
        "Diagnostics:",
        "  command:local:Command (dev-preflight-run):",
        '    error: exit status 1: running "bash -s up":',
        "    preflight: labstack:lab.image.build.mirror: the local host vm cannot fetch http://deb.debian.org/debian/dists/bookworm/Release",
        "",
        "  pulumi:pulumi:Stack (labstack-dev):",
        "    error: update failed",
      ].join("\n"),
    );
  });

  it("is the end of what the engine said when it printed no Diagnostics (it failed before any resource)", () => {
    const text = `${Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n")}\nerror: no stack named 'dev' found\n`;
    const said = engineDiagnostics(text).split("\n");
    expect(said).toHaveLength(20);
    expect(said.at(-1)).toBe("error: no stack named 'dev' found");
  });
});
