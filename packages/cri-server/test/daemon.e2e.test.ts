import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, codeOf, type Daemon, referenceClients, startDaemon as start, waitForStart } from "./daemon-helpers";

/**
 * The built `rktlet` daemon as a separate process, driven by a client that knows nothing of rktlet: it
 * loads only the reference CRI proto at run time.
 */
const startDaemon = (socket: string, extra: string[] = []): Daemon =>
  start(["--backend", "fake", "--listen", socket, "--stream-server-address=127.0.0.1:0", "--log-level", "info", ...extra]);

let dir: string;
let socket: string;
let daemon: Daemon;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rktlet-daemon-"));
  socket = join(dir, "run", "rktlet.sock");
  daemon = startDaemon(socket);
  await waitForStart(daemon);
});
afterEach(async () => {
  if (daemon.proc.exitCode === null) {
    daemon.proc.kill("SIGKILL");
    await daemon.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, uid: `uid-${name}`, namespace: "default", attempt: 0 },
  log_directory: `/var/log/pods/${name}`,
  labels: { app: name },
  ...extra,
});

test("the socket is mode 0660 and owned by the daemon's user", () => {
  const st = statSync(socket);
  expect(st.isSocket()).toBe(true);
  expect(st.mode & 0o777).toBe(0o660);
  expect(st.uid).toBe(process.getuid?.());
});

test("a reference-proto client runs the whole lifecycle, bad input gets the contract's codes, and the daemon still answers", async () => {
  const { runtime, image } = referenceClients(socket);
  expect(await call(runtime, "Version", { version: "v1" })).toMatchObject({ runtime_name: "rkt", runtime_api_version: "v1" });
  await call(image, "PullImage", { image: { image: "busybox" } });
  const listed = (await call(image, "ListImages", {})).images as { repo_tags: string[] }[];
  expect(listed.flatMap((i) => i.repo_tags)).toContain("docker.io/library/busybox:latest");

  const { pod_sandbox_id: podId } = (await call(runtime, "RunPodSandbox", { config: pod("web") })) as { pod_sandbox_id: string };
  const { container_id: cid } = (await call(runtime, "CreateContainer", {
    pod_sandbox_id: podId,
    config: {
      metadata: { name: "app", attempt: 0 },
      image: { image: "busybox" },
      command: ["sh", "-c", "echo hello; sleep 3600"],
      log_path: "app/0.log",
      labels: { tier: "app" },
    },
    sandbox_config: pod("web"),
  })) as { container_id: string };
  await call(runtime, "StartContainer", { container_id: cid });
  const st = (await call(runtime, "ContainerStatus", { container_id: cid })).status as Record<string, unknown>;
  expect(st).toMatchObject({ state: "CONTAINER_RUNNING", log_path: "/var/log/pods/web/app/0.log" });

  const containers = async (filter: Record<string, unknown>) =>
    ((await call(runtime, "ListContainers", { filter })).containers as { id: string }[]).map((c) => c.id);
  expect(await containers({ id: cid.slice(0, 10) })).toEqual([cid]);
  expect(await containers({ pod_sandbox_id: podId })).toEqual([cid]);
  expect(await containers({ state: { state: "CONTAINER_RUNNING" } })).toEqual([cid]);
  expect(await containers({ state: { state: "CONTAINER_EXITED" } })).toEqual([]);
  expect(await containers({ label_selector: { tier: "app" } })).toEqual([cid]);
  const pods = async (filter: Record<string, unknown>) =>
    ((await call(runtime, "ListPodSandbox", { filter })).items as { id: string }[]).map((p) => p.id);
  expect(await pods({ id: podId.slice(0, 10) })).toEqual([podId]);
  expect(await pods({ state: { state: "SANDBOX_READY" } })).toEqual([podId]);
  expect(await pods({ label_selector: { app: "web" } })).toEqual([podId]);
  expect(await pods({ label_selector: { app: "other" } })).toEqual([]);

  await call(runtime, "StopContainer", { container_id: cid, timeout: 10 });
  expect(((await call(runtime, "ContainerStatus", { container_id: cid })).status as Record<string, unknown>).state).toBe(
    "CONTAINER_EXITED",
  );
  await call(runtime, "RemoveContainer", { container_id: cid });
  await call(runtime, "RemoveContainer", { container_id: cid });
  for (let i = 0; i < 2; i++) await call(runtime, "StopPodSandbox", { pod_sandbox_id: podId });
  expect(((await call(runtime, "PodSandboxStatus", { pod_sandbox_id: podId })).status as Record<string, unknown>).state).toBe(
    "SANDBOX_NOTREADY",
  );
  for (let i = 0; i < 2; i++) await call(runtime, "RemovePodSandbox", { pod_sandbox_id: podId });

  const bad: [string, Promise<unknown>][] = [
    ["missing metadata", call(runtime, "RunPodSandbox", { config: { log_directory: "/var/log/pods/x" } })],
    ["relative log directory", call(runtime, "RunPodSandbox", { config: pod("x", { log_directory: "var/log" }) })],
    ["name over 253 characters", call(runtime, "RunPodSandbox", { config: pod("a".repeat(254)) })],
    ["empty sandbox id", call(runtime, "PodSandboxStatus", { pod_sandbox_id: "" })],
    ["empty container id", call(runtime, "StartContainer", { container_id: "" })],
    ["shell characters", call(runtime, "StopPodSandbox", { pod_sandbox_id: "x; rm -rf /" })],
    ["command substitution", call(runtime, "ContainerStatus", { container_id: "$(reboot)" })],
    ["path characters", call(runtime, "RemoveContainer", { container_id: "../../etc/passwd" })],
  ];
  for (const [what, p] of bad) expect([what, await codeOf(p)]).toEqual([what, "INVALID_ARGUMENT"]);
  expect(await codeOf(call(runtime, "PodSandboxStatus", { pod_sandbox_id: "0123456789abcdef" }))).toBe("NOT_FOUND");
  expect(await codeOf(call(runtime, "ContainerStatus", { container_id: "0123456789abcdef" }))).toBe("NOT_FOUND");
  expect((await call(image, "ImageStatus", { image: { image: "absent:1" } })).image).toBeNull();
  expect(await call(runtime, "Version", {})).toMatchObject({ runtime_name: "rkt" });
  runtime.close();
  image.close();
});

test("SIGTERM drains, removes the socket and exits 0", async () => {
  daemon.proc.kill("SIGTERM");
  expect(await daemon.exited).toBe(0);
  expect(existsSync(socket)).toBe(false);
  expect(daemon.output()).toContain("CRI server stopped");
});

test("a second daemon refuses a live socket; after kill -9 the stale socket is replaced", async () => {
  const second = startDaemon(socket);
  expect(await second.exited).toBe(1);
  expect(second.output()).toMatch(/another process is serving/);
  daemon.proc.kill("SIGKILL");
  await daemon.exited;
  expect(existsSync(socket)).toBe(true);
  daemon = startDaemon(socket);
  await waitForStart(daemon);
  const { runtime } = referenceClients(socket);
  expect(await call(runtime, "Version", {})).toMatchObject({ runtime_name: "rkt" });
  runtime.close();
});

test("a path that is not a socket is never deleted", async () => {
  const file = join(dir, "not-a-socket");
  writeFileSync(file, "precious");
  const d = startDaemon(file);
  expect(await d.exited).toBe(1);
  expect(d.output()).toMatch(/exists and is not a socket/);
  expect(existsSync(file)).toBe(true);
});

test("bad flags are one line naming the flag, with exit code 2", async () => {
  const d = startDaemon(join(dir, "y.sock"), ["--stream-server-address", "nowhere"]);
  expect(await d.exited).toBe(2);
  expect(d.output().trim()).toBe("rktlet: --stream-server-address: must be HOST:PORT (see rktlet --help)");
});
