// Pulumi entry point: read the stack's lab config, validate it completely before any resource
// exists, then build the lab and export what other tools consume.

import { totalmem } from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { buildLab, parseStack } from "./stacks/index.js";

const config = new pulumi.Config("labstack");
const hostPrivateKey = config.getSecret("hostPrivateKey");
const lab = parseStack(config.getObject("lab"), {
  memoryMiB: Math.floor(totalmem() / 2 ** 20),
  hostPrivateKey: hostPrivateKey !== undefined,
  digitaloceanToken: new pulumi.Config("digitalocean").get("token") !== undefined || Boolean(process.env.DIGITALOCEAN_TOKEN),
});
// Bump to check the whole lab again and repair what drifted (scripts/verify.sh does it for you).
const verify = config.getNumber("verify") ?? 0;
// The stack outputs: each lab kind exports only what it has (stacks/<kind>/index.ts).
export default buildLab(lab, pulumi.getStack(), { hostPrivateKey, verify });
