// model/ipv4.ts: the address arithmetic the schema and the rules work with.
import { describe, expect, it } from "vitest";
import {
  cidrContains,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  ipv4Value,
  isReservedInCidr,
  netmask,
  parseCidr,
  parseInterfaceAddress,
  parseIpv4,
} from "../../../model/ipv4.js";

describe("ipv4", () => {
  it("parses, formats and rejects", () => {
    expect(formatIpv4(parseIpv4("192.168.1.11")!)).toBe("192.168.1.11");
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
    expect(parseIpv4("256.1.1.1")).toBeUndefined();
    expect(parseIpv4("1.2.3")).toBeUndefined();
    expect(parseIpv4(" 1.2.3.4")).toBeUndefined();
    expect(parseCidr("192.168.1.0/24")).toEqual({ network: parseIpv4("192.168.1.0"), prefix: 24 });
    expect(parseCidr("0.0.0.0/0")).toEqual({ network: 0, prefix: 0 });
    expect(parseCidr("192.168.1.5/24")).toBeUndefined();
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("10.0.0.0")).toBeUndefined();
    expect(parseCidr("10.0.0.0/8/8")).toBeUndefined();
    expect(formatCidr(parseCidr("172.16.0.0/12")!)).toBe("172.16.0.0/12");
    expect(netmask(24)).toBe("255.255.255.0");
    expect(netmask(21)).toBe("255.255.248.0");
    expect(netmask(0)).toBe("0.0.0.0");
    expect(netmask(32)).toBe("255.255.255.255");
  });

  it("parses an interface's address with host bits, and the network it is on", () => {
    expect(parseInterfaceAddress("192.168.60.4/24")).toEqual({
      address: "192.168.60.4",
      value: parseIpv4("192.168.60.4"),
      prefix: 24,
      text: "192.168.60.4/24",
      subnet: { network: parseIpv4("192.168.60.0"), prefix: 24 },
    });
    expect(parseInterfaceAddress("192.168.70.5/16")!.subnet).toEqual(parseCidr("192.168.0.0/16"));
    for (const bad of ["192.168.60.4", "192.168.60.4/33", "192.168.60.256/24", "192.168.60.4/24/1", "192.168.60.4/x"]) {
      expect(parseInterfaceAddress(bad), bad).toBeUndefined();
    }
  });

  it("reads a validated address, and throws on one the model should have refused", () => {
    expect(ipv4Value("10.0.2.15")).toBe(parseIpv4("10.0.2.15"));
    expect(() => ipv4Value("10.0.2")).toThrow("not an IPv4 address: 10.0.2");
  });

  it("answers containment, overlap and reserved addresses", () => {
    const mgmt = parseCidr("192.168.1.0/24")!;
    expect(cidrContains(mgmt, parseIpv4("192.168.1.254")!)).toBe(true);
    expect(cidrContains(mgmt, parseIpv4("192.168.2.1")!)).toBe(false);
    expect(cidrContains(parseCidr("0.0.0.0/0")!, parseIpv4("203.0.113.7")!)).toBe(true);
    expect(cidrsOverlap(mgmt, parseCidr("192.168.0.0/16")!)).toBe(true);
    expect(cidrsOverlap(parseCidr("192.168.0.0/16")!, mgmt)).toBe(true);
    expect(cidrsOverlap(mgmt, parseCidr("172.16.0.0/24")!)).toBe(false);
    expect(cidrsOverlap(mgmt, parseCidr("192.168.2.0/24")!)).toBe(false);
    expect(isReservedInCidr(mgmt, parseIpv4("192.168.1.255")!)).toBe(true);
    expect(isReservedInCidr(mgmt, parseIpv4("192.168.1.0")!)).toBe(true);
    expect(isReservedInCidr(mgmt, parseIpv4("192.168.1.1")!)).toBe(false);
    // A /31 (point-to-point) and a /32 have no network or broadcast address.
    expect(isReservedInCidr(parseCidr("10.1.1.0/31")!, parseIpv4("10.1.1.0")!)).toBe(false);
    expect(isReservedInCidr(parseCidr("10.1.1.1/32")!, parseIpv4("10.1.1.1")!)).toBe(false);
  });
});
