// A real Kubernetes control plane on loopback for the tests: etcd, kube-apiserver and
// kube-controller-manager built from Go modules by scripts/ensure-kube-apiserver.sh, a token for
// an admin user, and a kubeconfig that trusts the server's own self-signed certificate. The
// controllers do their work (replica sets, garbage collection, PVC protection); with no scheduler
// or kubelet, no pod ever runs.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ROOT } from "./labs.js";

export interface KubeApiserver {
  readonly url: string;
  readonly kubeconfig: string;
  readonly token: string;
  /** GET a path of the API as the admin user; undefined on 404. */
  get(path: string): Promise<any>;
  stop(): void;
}

export function kubeApiserverBin(): string {
  const out = execFileSync("bash", [join(ROOT, "scripts", "ensure-kube-apiserver.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return out.trim().split("\n").pop()!;
}

async function until(what: string, log: () => string, probe: () => Promise<boolean>, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not come up in ${seconds} s\n${log()}`);
}

export async function startKubeApiserver(bin: string, dir: string, basePort = 20000 + (process.pid % 3000) * 3): Promise<KubeApiserver> {
  mkdirSync(dir, { recursive: true });
  const etcdPort = basePort;
  const apiPort = basePort + 1;
  const controllerPort = basePort + 2;
  const token = `labstack-test-${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, "tokens.csv"), `${token},admin,admin,system:masters\n`, { mode: 0o600 });
  execFileSync("openssl", ["genrsa", "-out", join(dir, "sa.key"), "2048"], { stdio: "ignore" });
  execFileSync("openssl", ["rsa", "-in", join(dir, "sa.key"), "-pubout", "-out", join(dir, "sa.pub")], { stdio: "ignore" });
  const logs: Record<string, string> = { etcd: "", apiserver: "", controllers: "" };
  const started: ChildProcess[] = [];
  const launch = (name: string, argv: string[]) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d) => (logs[name] = (logs[name] + d).slice(-20000)));
    child.stderr!.on("data", (d) => (logs[name] = (logs[name] + d).slice(-20000)));
    started.push(child);
  };
  const stop = () => started.forEach((c) => c.kill());
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  launch("etcd", [
    join(bin, "etcd"),
    "--data-dir",
    join(dir, "etcd"),
    "--listen-client-urls",
    etcdUrl,
    "--advertise-client-urls",
    etcdUrl,
    "--listen-peer-urls",
    `http://127.0.0.1:${etcdPort + 10000}`,
    "--initial-advertise-peer-urls",
    `http://127.0.0.1:${etcdPort + 10000}`,
    "--initial-cluster",
    `default=http://127.0.0.1:${etcdPort + 10000}`,
  ]);
  try {
    await until(
      "etcd",
      () => logs.etcd,
      async () => (await fetch(`${etcdUrl}/health`)).ok,
    );
    launch("apiserver", [
      join(bin, "kube-apiserver"),
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, "certs")}`,
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc",
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.96.0.0/12",
      // No controller manager creates the `default` service account pods would need.
      "--disable-admission-plugins=ServiceAccount",
    ]);
    const url = `https://127.0.0.1:${apiPort}`;
    const certFile = join(dir, "certs", "apiserver.crt");
    const curl = (path: string) =>
      execFileSync("curl", ["-sS", "--cacert", certFile, "-H", `Authorization: Bearer ${token}`, "-w", "\n%{http_code}", `${url}${path}`], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    await until(
      "kube-apiserver",
      () => logs.apiserver,
      async () => curl("/readyz").trim().endsWith("200"),
    );
    const kubeconfig: string = stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server: url, "certificate-authority-data": readFileSync(certFile).toString("base64") } }],
      users: [{ name: "admin", user: { token } }],
      contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
      "current-context": "test",
    });
    writeFileSync(join(dir, "kubeconfig"), kubeconfig, { mode: 0o600 });
    launch("controllers", [
      join(bin, "kube-controller-manager"),
      `--kubeconfig=${join(dir, "kubeconfig")}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${controllerPort}`,
      `--service-account-private-key-file=${join(dir, "sa.key")}`,
      `--root-ca-file=${certFile}`,
      "--use-service-account-credentials=false",
    ]);
    await until(
      "kube-controller-manager",
      () => logs.controllers,
      async () =>
        execFileSync("curl", ["-sk", `https://127.0.0.1:${controllerPort}/healthz`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) === "ok",
      120,
    );
    return {
      url,
      kubeconfig,
      token,
      async get(path) {
        const out = curl(path);
        const code = out.slice(out.lastIndexOf("\n") + 1);
        if (code === "404") return undefined;
        if (code !== "200") throw new Error(`GET ${path}: HTTP ${code}\n${out}`);
        return JSON.parse(out.slice(0, out.lastIndexOf("\n")));
      },
      stop,
    };
  } catch (e) {
    stop();
    throw e;
  }
}
