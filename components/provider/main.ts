// The entry point of the labstack provider plugin (see health.ts); the engine starts it through
// pulumi-resource-labstack beside this file.
import { main } from "@pulumi/pulumi/provider/index.js";
import { exitWithEngine } from "./engineWatch.js";
import { healthProvider } from "./health.js";

// The engine starts the plugin: it ends with it.
exitWithEngine(process.ppid);

main(healthProvider("0.2.0"), process.argv.slice(2));
