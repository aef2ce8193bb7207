#!/usr/bin/env node
// `npx labstack ...`: the CLI is TypeScript, loaded through tsx like the Pulumi program.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
