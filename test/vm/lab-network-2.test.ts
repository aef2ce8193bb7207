// Networking labs 7, 9, 10 and the tunnels lab through the real engine (see test/helpers/networkSuite.ts).
import { networkLabSuite } from "../helpers/networkSuite.js";

networkLabSuite(["net-lab7", "net-lab9", "net-lab10", "net-tunnels"], 6);
