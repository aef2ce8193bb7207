// Pulumi entry point: read the stack's lab config, validate it completely before any resource
// exists, then build the lab and export what other tools consume.
import * as pulumi from "@pulumi/pulumi";
import { totalmem } from "node:os";
import { parseStack } from "./components/model/parse.js";
import { buildLab } from "./stacks/index.js";

const config = new pulumi.Config("labstack");
const hostPrivateKey = config.getSecret("hostPrivateKey");
const lab = parseStack(config.getObject("lab"), {
  memoryMiB: Math.floor(totalmem() / 2 ** 20),
  hostPrivateKey: hostPrivateKey !== undefined,
  digitaloceanToken: new pulumi.Config("digitalocean").get("token") !== undefined || Boolean(process.env.DIGITALOCEAN_TOKEN),
});
// Bump to check the whole lab again and repair what drifted (scripts/verify.sh does it for you).
const verify = config.getNumber("verify") ?? 0;
const outputs = buildLab(lab, pulumi.getStack(), { hostPrivateKey, verify });

export const description = outputs.description;
export const nodes = outputs.nodes;
export const ssh_config = outputs.sshConfig;
export const inventory = outputs.inventory;
export const topology = outputs.topology;
export const credentials = outputs.credentials;
export const checks = outputs.checks;
export const host = outputs.host;
export const kubeconfig = outputs.kubeconfig;
export const urls = outputs.urls;
export const dashboard = outputs.dashboard;
export const next = outputs.next;
