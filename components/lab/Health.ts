// What `pulumi refresh` reads of a lab object that lives on the lab host or a node (a VM, a bridge,
// the APT cache, a service): a status program the object's own script provides, run there by the
// lab's provider (components/provider/). Exit 3 means "drifted": the resource then shows the
// drift, and the next `up` bumps `generation`, which the object's own step carries, so `up`
// restores exactly what drifted. Created before that step, without running anything: a fresh
// object is what the step is about to make.
import * as pulumi from "@pulumi/pulumi";
import type { Target } from "../provider/remote.js";

export interface HealthArgs {
  /** Where the status program runs. */
  readonly target: pulumi.Input<Target>;
  /** The status program: a bundle (plan/scripts.ts) read by `bash -s`. */
  readonly program: pulumi.Input<string>;
  /** Its arguments. @default ["status"] */
  readonly args?: readonly string[];
}

/** What a healthy object reads as; anything else is the drift its status program printed. */
export const HEALTHY = "ok";

export class Health extends pulumi.CustomResource {
  /** How many times the object was repaired: its step re-runs when this changes. */
  declare readonly generation: pulumi.Output<number>;
  /** `ok`, or what drifted (set by a refresh). */
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: HealthArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "labstack:lab:Health",
      name,
      { target: pulumi.secret(args.target), program: args.program, args: args.args ?? ["status"], state: HEALTHY, generation: undefined },
      opts,
    );
  }
}
