// plan/aptCache.ts: the lab's APT cache on its host: where it listens, what it fetches, and
// through which proxy (the lab's, else the one the host's own environment names, read there).
import { describe, expect, it } from "vitest";
import { aptCacheStep, labDistros, urlHasCredentials } from "../../../plan/aptCache.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

describe("the APT cache", () => {
  it("listens on the management network's host address, in the lab's state folder, for the lab's distributions", () => {
    const step = aptCacheStep(labPlan(stackLab("openstack-lab"), "openstack-lab"), "caracal")!;
    expect(step.script.path).toBe("host/apt-cache.sh");
    expect(step.environment).toEqual({
      LAB: "openstack-lab",
      PORT: "3142",
      BIND_ADDRESS: "192.168.1.1",
      DISTROS: "debian ubuntu ubuntu-cloud-archive",
      UPSTREAM_PROXY: "",
      RUN_DIR: "~/.local/share/labstack/openstack-lab/apt-cacher-ng",
    });
  });

  it("fetches only from the distribution a built image names", () => {
    const plan = labPlan(stackLab("dev"));
    expect(labDistros(plan)).toEqual(["debian"]);
    expect(labDistros(plan, "caracal")).toEqual(["debian"]);
    expect(labDistros(labPlan(stackLab("openstack-lab"), "openstack-lab"))).toEqual(["debian", "ubuntu"]);
  });

  it("leaves the upstream proxy to the host unless the lab names one, and is none when disabled", () => {
    const raw = stackLab("dev");
    raw.aptCache = { port: 3200, upstreamProxy: "http://user:pw@proxy.example:3128" };
    expect(aptCacheStep(labPlan(raw))!.environment).toMatchObject({ PORT: "3200", UPSTREAM_PROXY: "http://user:pw@proxy.example:3128" });
    raw.aptCache = { enabled: false };
    expect(aptCacheStep(labPlan(raw))).toBeUndefined();
  });

  it("treats a proxy URL with a user or password as a credential", () => {
    expect(urlHasCredentials("http://user:pw@proxy.example:3128")).toBe(true);
    expect(urlHasCredentials("http://user@proxy.example:3128")).toBe(true);
    expect(urlHasCredentials("http://proxy.example:3128")).toBe(false);
    expect(urlHasCredentials("")).toBe(false);
    expect(urlHasCredentials(undefined)).toBe(false);
  });
});
