// Pulumi entry point: read the stack's lab config, validate it completely before any resource
// exists, then build the lab and export what other tools consume.
import * as pulumi from "@pulumi/pulumi";
import { totalmem } from "node:os";
import { parseLab } from "./components/model/parse.js";
import { buildLab } from "./stacks/index.js";

const lab = parseLab(new pulumi.Config("labstack").getObject("lab"), { memoryMiB: Math.floor(totalmem() / 2 ** 20) });
const outputs = buildLab(lab, pulumi.getStack());

export const description = outputs.description;
export const nodes = outputs.nodes;
export const ssh_config = outputs.sshConfig;
export const inventory = outputs.inventory;
export const topology = outputs.topology;
export const credentials = outputs.credentials;
export const checks = outputs.checks;
