// Networking labs 5 (bridges) and 8 (VLANs) through the real engine, with a learner's everyday
// commands, the posts' commands typed by hand and a capture (see test/helpers/networkSuite.ts).
import { networkLabSuite } from "../helpers/networkSuite.js";

networkLabSuite(["net-lab5", "net-lab8"], 9);
