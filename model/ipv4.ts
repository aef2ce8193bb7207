// IPv4 arithmetic for address planning and config validation. Pure, no Pulumi.

export interface Cidr {
  readonly network: number; // network address as an unsigned 32-bit integer
  readonly prefix: number;
}

/** A network as the config gave it, parsed once when the config is validated. */
export interface Network extends Cidr {
  /** As written in the config, e.g. 192.168.1.0/24. */
  readonly text: string;
}

/** An interface address with its prefix (192.168.60.4/24), parsed once when the config is validated. */
export interface InterfaceAddress {
  readonly address: string;
  readonly value: number;
  readonly prefix: number;
  /** As written in the config. */
  readonly text: string;
  /** The network it is on (host bits cleared). */
  readonly subnet: Cidr;
}

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n"; the address must be the network address (no host bits). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, ...rest] = text.split("/");
  if (rest.length || len === undefined || !/^\d{1,2}$/.test(len)) return undefined;
  const prefix = Number(len);
  const ip = parseIpv4(addr);
  if (ip === undefined || prefix > 32) return undefined;
  if ((ip & mask(prefix)) >>> 0 !== ip) return undefined;
  return { network: ip, prefix };
}

/** The address of a string the model has validated: for arithmetic on config values. */
export function ipv4Value(text: string): number {
  const value = parseIpv4(text);
  if (value === undefined) throw new Error(`not an IPv4 address: ${text}`);
  return value;
}

/** Parses "a.b.c.d/n", host bits allowed (an interface's address). */
export function parseInterfaceAddress(text: string): InterfaceAddress | undefined {
  const [address, len, ...rest] = text.split("/");
  if (rest.length || len === undefined || !/^\d{1,2}$/.test(len) || Number(len) > 32) return undefined;
  const value = parseIpv4(address);
  if (value === undefined) return undefined;
  const prefix = Number(len);
  return { address, value, prefix, text, subnet: { network: (value & mask(prefix)) >>> 0, prefix } };
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return (ip & mask(cidr.prefix)) >>> 0 === cidr.network;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return (a.network & mask(prefix)) >>> 0 === (b.network & mask(prefix)) >>> 0;
}

/** True for the network and broadcast addresses, which no host may use. */
export function isReservedInCidr(cidr: Cidr, ip: number): boolean {
  if (cidr.prefix >= 31) return false;
  const broadcast = (cidr.network | (~mask(cidr.prefix) >>> 0)) >>> 0;
  return ip === cidr.network || ip === broadcast;
}

export function netmask(prefix: number): string {
  return formatIpv4(mask(prefix));
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}
