// No secret on a command line: a program's arguments are anyone's to read (`ps`, /proc/PID/cmdline,
// an exec audit log), so the scripts that handle the lab's passwords and keys hand them to the
// program that needs them on stdin, in a private file or in its environment. Each script runs as
// the lab runs it (its bundle on `bash -s up`) against stand-ins for the programs it calls, which
// record their command lines and what they were given; where strace works, every execve of the
// run is looked at too, whatever the program and however it was named. Nothing of this machine is
// changed: a script's writes to /etc (`put`) go through stand-ins for mktemp, mkdir and mv.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundle, PROVISIONING_DIR, provisioning, type Script } from "../../../plan/scripts.js";
import { argvHolding, type Call, execveLog, realCommand, type StandIn, standIns, straceWorks } from "../../helpers/standIns.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The lab's generated passwords are alphanumeric (mariadb.sh and credentials-file.sh refuse others). */
const PASSWORD = "Gen3ratedPassw0rd42";

/** What a node's service script finds on a node where its packages are installed: systemd that
 * does what it is told, and /etc written through `put` into the test's folder instead. */
function node(dir: string): Record<string, StandIn> {
  const [mktemp, mkdir, mv] = ["mktemp", "mkdir", "mv"].map(realCommand);
  return {
    "dpkg-query": { body: "printf 'install ok installed'" },
    "apt-get": { body: "echo 'apt-get stand-in: nothing is missing here' >&2; exit 1" },
    systemctl: { body: "exit 0" },
    mkdir: { body: `case "$*" in *" /etc/"*) exit 0 ;; esac; exec ${mkdir} "$@"` },
    mktemp: { body: `case "$1" in /etc/*) ${mktemp} "${dir}/put.XXXXXX" ;; *) exec ${mktemp} "$@" ;; esac` },
    mv: { body: `case "$*" in *" /etc/"*) exit 0 ;; esac; exec ${mv} "$@"` },
  };
}

/** A script's bundle run by `bash -s up` with `params`, the stand-ins first on the PATH. */
function runBundle(script: Script, params: Record<string, string>, programs: ReturnType<typeof standIns>) {
  const r = spawnSync("bash", ["-s", "up"], {
    input: bundle(script, params),
    env: { PATH: programs.path, HOME: join(dir, "home"), TMPDIR: dir },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same run under strace: no program started on the way has `secret` in its command line. */
function expectNoExecHolds(script: Script, params: Record<string, string>, programs: ReturnType<typeof standIns>, secret: string) {
  if (!straceWorks()) return;
  const traced = execveLog(dir, "bash", ["-s", "up"], { input: bundle(script, params), env: { PATH: programs.path, HOME: join(dir, "home"), TMPDIR: dir } });
  expect(traced.status, traced.stderr).toBe(0);
  expect(traced.execs.some((l) => l.includes(script.path))).toBe(true);
  expect(traced.execs.filter((l) => l.includes(secret))).toEqual([]);
}

/** A MariaDB client that answers the checks' and mariadb.sh's queries over the socket, and logs in
 * over TCP only with `password`, read where the real client reads it: an option file named by its
 * first option, else MYSQL_PWD. It notes how the password came. */
const mysql = (password: string): StandIn => ({
  stdin: true,
  body: `
case " $* " in
  *" -h "*)
    given=\${MYSQL_PWD-}
    printf '%s' "\${MYSQL_PWD-unset}" > "$call.mysql_pwd"
    case "$1" in --defaults-extra-file=*)
      file=\${1#*=}
      stat -c %a "$file" > "$call.mode"
      cat "$file" > "$call.file"
      given=$(sed -n 's/^password=//p' "$file") ;;
    esac
    [ "$given" = '${password}' ] || { echo "ERROR 1045 (28000): Access denied for user 'root'" >&2; exit 1; }
    case "$*" in *VERSION*) echo 10.11.6-MariaDB ;; *) echo 1 ;; esac
    exit 0 ;;
esac
query="$* $(cat "$STDIN_FILE")"
case "$query" in
  *"SELECT CONCAT('DROP USER"*) echo "DROP USER ''@'localhost';" ;;
  *"SELECT CONCAT("*) echo "0 1 1 0" ;;
  *"SELECT COUNT(*)"*) echo 0 ;;
esac
exit 0`,
});

/** The mysql calls that logged in over TCP, with how each was given its password. */
const logins = (calls: readonly Call[]) =>
  calls
    .filter((c) => c.name === "mysql" && c.argv.includes("-h"))
    .map((c) => ({ argv: c.argv, mysqlPwd: c.note("mysql_pwd"), mode: c.note("mode")?.trim(), file: c.note("file")?.trim() }));

describe("openstack/check-mariadb-server.sh and check-mariadb-login.sh", () => {
  it("give mysql the password in a private option file, gone afterwards: never -p, never MYSQL_PWD", () => {
    const programs = standIns(dir, {
      ...node(dir),
      mysql: mysql(PASSWORD),
      ss: { body: "echo 'LISTEN 0 80 192.168.1.11:3306 0.0.0.0:*'" },
    });
    const server = provisioning("openstack/check-mariadb-server.sh");
    const r = runBundle(server, { BIND_ADDRESS: "192.168.1.11", ROOT_PASSWORD: PASSWORD }, programs);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("ok: MariaDB root has a password, no anonymous users, listens on 192.168.1.11:3306 only");
    const [generated, wrong] = logins(programs.calls()).sort((a, b) => (a.file ?? "").localeCompare(b.file ?? ""));
    expect(generated).toMatchObject({ mysqlPwd: "unset", mode: "600", file: `[client]\npassword=${PASSWORD}` });
    expect(wrong).toMatchObject({ mysqlPwd: "unset", mode: "600", file: "[client]\npassword=wrong-password" });
    // The option file is mysql's first option (the client reads it only there), and gone.
    for (const login of [generated, wrong]) {
      expect(login.argv[0]).toMatch(/^--defaults-extra-file=\//);
      expect(existsSync(login.argv[0].slice("--defaults-extra-file=".length))).toBe(false);
    }
    expect(argvHolding(programs.calls(), PASSWORD)).toEqual([]);
    expectNoExecHolds(server, { BIND_ADDRESS: "192.168.1.11", ROOT_PASSWORD: PASSWORD }, programs, PASSWORD);

    const login = provisioning("openstack/check-mariadb-login.sh");
    const other = mkdtempSync(join(dir, "login-"));
    const loginPrograms = standIns(other, { mysql: mysql(PASSWORD) });
    const l = runBundle(login, { DB_HOST: "controller", ROOT_PASSWORD: PASSWORD }, loginPrograms);
    expect(l.stderr).toBe("");
    expect(l.stdout).toContain("ok: logged into MariaDB 10.11.6-MariaDB on controller as root");
    const [only] = logins(loginPrograms.calls());
    expect(only).toMatchObject({ mysqlPwd: "unset", mode: "600", file: `[client]\npassword=${PASSWORD}` });
    expect(existsSync(only.argv[0].slice("--defaults-extra-file=".length))).toBe(false);
    expect(argvHolding(loginPrograms.calls(), PASSWORD)).toEqual([]);
    // A wrong password is refused, and says so.
    const refused = runBundle(login, { DB_HOST: "controller", ROOT_PASSWORD: "Other1" }, loginPrograms);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("CHECK FAILED");
    expect(refused.stderr).toContain("mysql -h controller -u root -e 'SELECT VERSION()' failed");
  });
});

describe("openstack/mariadb.sh", () => {
  it("sets the root password in SQL on mysql's stdin", () => {
    const programs = standIns(dir, { ...node(dir), mysql: mysql(PASSWORD) });
    const script = provisioning("openstack/mariadb.sh");
    const params = { BIND_ADDRESS: "192.168.1.11", ROOT_PASSWORD: PASSWORD };
    const r = runBundle(script, params, programs);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("labstack: changed MariaDB root password and remote root");
    const batch = programs.calls("mysql").find((c) => c.stdin?.includes("ALTER USER"));
    expect(batch?.stdin).toContain(`CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '${PASSWORD}';`);
    expect(argvHolding(programs.calls(), PASSWORD)).toEqual([]);
    expectNoExecHolds(script, params, programs, PASSWORD);
  });
});

describe("openstack/rabbitmq.sh", () => {
  it("adds the OpenStack user with its password in one `rabbitmqctl eval` read on stdin, never `add_user openstack PASS`", () => {
    const programs = standIns(dir, {
      ...node(dir),
      rabbitmqctl: { stdin: true, body: "echo 'labstack: changed added RabbitMQ user openstack'; echo labstack_done" },
    });
    const script = provisioning("openstack/rabbitmq.sh");
    const params = { BIND_ADDRESS: "192.168.1.11", RABBIT_USER: "openstack", RABBIT_PASSWORD: PASSWORD };
    const r = runBundle(script, params, programs);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("labstack: changed added RabbitMQ user openstack");
    const [ctl] = programs.calls("rabbitmqctl");
    expect(ctl.argv).toEqual(["-q", "eval"]);
    expect(ctl.stdin).toContain(`P = base64:decode(<<"${Buffer.from(PASSWORD).toString("base64")}">>)`);
    expect(argvHolding(programs.calls(), PASSWORD)).toEqual([]);
    expect(argvHolding(programs.calls(), Buffer.from(PASSWORD).toString("base64"))).toEqual([]);
    expectNoExecHolds(script, params, programs, PASSWORD);
  });
});

describe("openstack/check-rabbitmq-login.sh", () => {
  it("hands python the password in its environment, the program on stdin", () => {
    const programs = standIns(dir, { python3: { stdin: true, body: 'printf %s "$RABBIT_PASSWORD" > "$call.password"' } });
    const script = provisioning("openstack/check-rabbitmq-login.sh");
    const params = { RABBIT_HOST: "controller", RABBIT_USER: "openstack", RABBIT_PASSWORD: PASSWORD };
    const r = runBundle(script, params, programs);
    expect(r.status, r.stderr).toBe(0);
    const [python] = programs.calls("python3");
    expect(python.argv).toEqual(["-"]);
    expect(python.stdin).toContain('password=os.environ["RABBIT_PASSWORD"]');
    expect(python.note("password")).toBe(PASSWORD);
    expect(argvHolding(programs.calls(), PASSWORD)).toEqual([]);
    expectNoExecHolds(script, params, programs, PASSWORD);
  });
});

describe("minikube/minikube-access.sh", () => {
  it("hands python the kubeconfig, its client key with it, on stdin", () => {
    const key = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpTZWNyZXRDbGllbnRLZXk=";
    const kubeconfig = `apiVersion: v1\nkind: Config\nusers:\n- name: labstack-dev\n  user:\n    client-key-data: ${key}`;
    // The lab's own minikube and kubectl live in BIN_DIR: the stand-ins' folder is it.
    const programs = standIns(dir, {
      minikube: { body: "echo 192.168.59.100" },
      kubectl: { body: `printf '%s\\n' '${kubeconfig.replaceAll("\n", "' '")}'` },
      python3: "real",
    });
    const script = provisioning("minikube/minikube-access.sh");
    const params = { PROFILE: "labstack-dev", BIN_DIR: programs.bin };
    const r = runBundle(script, params, programs);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ip: "192.168.59.100", kubeconfig });
    expect(programs.calls("python3")).toHaveLength(1);
    expect(argvHolding(programs.calls(), key)).toEqual([]);
    expectNoExecHolds(script, params, programs, key);
  });
});

describe("every provisioning script, read", () => {
  // In addition to the runs above, for the scripts no test runs: the command-line forms of the
  // programs that take a secret, which the lab never uses (the learner's commands in the docs may).
  const scripts = (folder = PROVISIONING_DIR): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? scripts(join(folder, e.name)) : e.name.endsWith(".sh") ? [join(folder, e.name)] : [],
    );
  const FORMS: [what: string, pattern: RegExp][] = [
    ["MYSQL_PWD (deprecated, and in the environment of whatever mysql runs)", /\bMYSQL_PWD\b/],
    ["a password on mysql's command line", /\b(mysql|mariadb|mysqladmin|mysqldump)\b[^\n#]*\s(-p\S|--password)/],
    ["a RabbitMQ password on rabbitmqctl's command line", /\brabbitmqctl\b[^\n#]*\b(add_user|change_password|authenticate_user)\b/],
    ["a proxy or its credentials on curl's command line", /\bcurl\b[^\n#]*\s(-x|--proxy|-U|--proxy-user|-u|--user)\s/],
    ["a password for chpasswd or openssl on the command line", /\b(chpasswd|openssl\b[^\n#]*-(pass|passin|passout|k)\b)/],
  ];
  it("never hand a secret to a program on its command line", () => {
    const found = scripts().flatMap((file) => {
      // Its commands: comment lines may name the forms they avoid.
      const text = readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => !/^\s*#/.test(line))
        .join("\n");
      return FORMS.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${file.slice(PROVISIONING_DIR.length + 1)}: ${what}`);
    });
    expect(found).toEqual([]);
  });
});
