// Networking labs 1-4 and 6 through the real engine (see test/helpers/networkSuite.ts).
import { networkLabSuite } from "../helpers/networkSuite.js";

networkLabSuite(["net-lab1", "net-lab2", "net-lab3", "net-lab4", "net-lab6"], 3);
