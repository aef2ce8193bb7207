// plan/bridge.ts: the Linux bridges a lab makes on its host, named short and per lab.
import { describe, expect, it } from "vitest";
import { bridgeEnvironment, hostBridgeName, labOwner } from "../../../plan/bridge.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

describe("host bridges", () => {
  it("get short names of their own lab, or the device the config names", () => {
    const plan = labPlan(stackLab("dev"));
    for (const net of plan.networks) expect(hostBridgeName("a-very-long-stack-name", net).length).toBeLessThanOrEqual(15);
    expect(hostBridgeName("dev", plan.network("guest"))).toMatch(/^lb[0-9a-f]{6}-guest$/);
    expect(hostBridgeName("dev", plan.network("management"))).not.toBe(hostBridgeName("other", plan.network("management")));
    expect(hostBridgeName("dev", plan.network("management"))).not.toBe(hostBridgeName("dev", plan.network("guest")));
    expect(hostBridgeName("net-lab7", labPlan(stackLab("net-lab7"), "net-lab7").network("mybridge"))).toBe("myBridge");
  });

  it("are made with the host's address, created or joined, and marked as the lab's", () => {
    const plan = labPlan(stackLab("dev"));
    expect(bridgeEnvironment("dev", plan.network("management"))).toEqual({
      DEVICE: hostBridgeName("dev", plan.network("management")),
      KIND: "hostonly",
      HOST_CIDR: "192.168.1.1/24",
      CREATE: "0",
      OWNER: "labstack dev",
    });
    const lab7 = labPlan(stackLab("net-lab7"), "net-lab7");
    expect(bridgeEnvironment("net-lab7", lab7.network("mybridge"))).toMatchObject({
      DEVICE: "myBridge",
      KIND: "bridged",
      HOST_CIDR: "192.168.50.1/24",
      CREATE: "1",
    });
    expect(labOwner("net-lab7")).toBe("labstack net-lab7");
  });
});
