// What the dev OpenStack lab's checks print when the lab is what the posts promise: the same
// expectations wherever the lab was brought up (the engine suite, the README's first command).
import { expect } from "vitest";

export const OPENSTACK_NODES = ["controller", "compute1", "compute2"];

/** `checks` is the stack output: what each check printed, by node and check. */
export function expectOpenStackChecksGreen(checks: Record<string, Record<string, string>>): void {
  expect(Object.keys(checks).sort()).toEqual([...OPENSTACK_NODES].sort());
  for (const node of OPENSTACK_NODES) {
    expect(checks[node].hosts).toContain("controller resolves to 192.168.1.11 and answers ping");
    expect(checks[node].hosts).toContain("compute2 resolves to 192.168.1.22 and answers ping");
    expect(checks[node]["mariadb-login"]).toMatch(/logged into MariaDB 10\.\S+ on controller as root/);
    expect(checks[node]["rabbitmq-login"]).toContain("AMQP login as openstack to controller:5672");
    expect(checks[node].memcached).toContain(`stored and returned labstack-check-${node}`);
  }
  expect(checks.controller.chrony).toContain("ok: chrony is active");
  for (const compute of ["compute1", "compute2"]) expect(checks[compute].chrony).toMatch(/^\^\* controller /m);
  expect(checks.controller.mariadb).toContain("listens on 192.168.1.11:3306 only");
  expect(checks.controller.rabbitmq).toMatch(/^openstack\s/m);
}
