// The entry point of the labstack provider plugin (see health.ts); the engine starts it through
// pulumi-resource-labstack beside this file.
import { main } from "@pulumi/pulumi/provider/index.js";
import { healthProvider } from "./health.js";

main(healthProvider("0.2.0"), process.argv.slice(2));
