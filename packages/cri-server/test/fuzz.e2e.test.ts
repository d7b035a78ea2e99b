import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { rktSimPath } from "@rktlet/testkit";
import fc from "fast-check";
import { BIN, call, type Daemon, REFERENCE, referenceClients, rktDaemonFlags, stopDaemon, waitForStart } from "./daemon-helpers";
import {
  describe as describeMsg,
  encodeAt,
  encodeMessage,
  type FieldInfo,
  type FuzzTargets,
  fieldExists,
  fieldPaths,
  loadSchema,
  type Msg,
  messageArb,
  type RpcInfo,
  setAt,
  sweepValues,
  valueFor,
} from "./fuzz-arbitraries";

/**
 * Bad input, over every RPC of RuntimeService and ImageService, sent over the daemon's unix socket to the
 * built `rktlet` (run `npm run build` first) on the rkt simulator: each RPC's valid request; hand-written
 * nasty values in every field that names something (ids, names, paths, images) and in every map and list;
 * then requests generated from the reference proto's descriptors, valid requests with generated fields,
 * and raw wire bytes. After each one: the daemon is alive and answers Version, no answer is INTERNAL or
 * UNKNOWN (bytes that are no protobuf message aside), an INVALID_ARGUMENT names a field the request has,
 * an OK answer decodes with the reference proto, a stream ends with a status, a pod or container keeps the
 * labels and annotations it was accepted with, and nothing changed outside the daemon's own directories.
 *
 * CI runs a fixed number of generated cases with a fixed seed (about 30 s in all on 2 cores). Longer runs:
 *   RKTLET_FUZZ_RUNS=5000 npx jest packages/cri-server/test/fuzz.e2e.test.ts
 * RKTLET_FUZZ_SEED=<n> picks another seed (a failure prints its seed and path), RKTLET_FUZZ_SHRINK=1
 * shrinks a failing case (slow against a daemon), RKTLET_FUZZ_STATS=1 prints the answers per RPC and code.
 */
const RUNS = Number(process.env.RKTLET_FUZZ_RUNS) || 100;
const SEED = Number(process.env.RKTLET_FUZZ_SEED) || 0x5eed;

const schema = loadSchema(REFERENCE);
const rpcs = schema.rpcs;
const rpcNamed = (name: string) => rpcs.find((r) => r.name === name) as RpcInfo;

// <base>/daemon is the daemon's (data, state, logs, socket); <base>/hostpaths is where mounts may point;
// everything else under <base> (the canary, the daemon's working directory) must stay as it was.
let base: string;
let daemonDir: string;
let daemon: Daemon;
let client: grpc.Client;
let clients: ReturnType<typeof referenceClients>;
const live = { podId: "", containerId: "", attempt: 0 };
let targets: FuzzTargets;
let before: string;
const marker = `rktlet-fuzz-escape-${process.pid}`;
const IMAGE = "docker.io/library/busybox:latest";

/** The same start as daemon-helpers' startDaemon, in a working directory of our choosing (relative paths land there). */
function startDaemonIn(cwd: string, args: string[]): Daemon {
  // the simulator's pods become ready at once: the cases start and remove many of them
  const env = { ...process.env, RKT_SIM_READY_DELAY_MS: "0" };
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, wrapped: false, output: () => out, exited };
}

/** Every entry under `dir` with its type, size, mtime and (for files) content hash, skipping `skip`. */
function snapshot(dir: string, skip: readonly string[] = []): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (skip.includes(p)) continue;
      const st = lstatSync(p);
      const hash = st.isFile() ? createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 16) : "";
      lines.push(`${p} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${hash}`);
      if (st.isDirectory()) walk(p);
    }
  };
  const st = statSync(dir);
  lines.push(`${dir} ${st.mode.toString(8)} ${st.mtimeMs}`);
  walk(dir);
  return lines.join("\n");
}

const outside = () => snapshot(base, [daemonDir, join(base, "hostpaths")]);

function escapes(): string[] {
  const found = readdirSync(tmpdir()).filter((n) => n.includes(marker));
  if (existsSync(`/${marker}`)) found.push(`/${marker}`);
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Calls with raw bytes

interface Outcome {
  code: string;
  details: string;
  responses: Buffer[];
}

const passThrough = (b: Buffer) => b;

function unary(path: string, bytes: Uint8Array): Promise<Outcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      passThrough,
      passThrough,
      Buffer.from(bytes),
      new grpc.Metadata(),
      { deadline: Date.now() + 30_000 },
      (err: grpc.ServiceError | null, res?: Buffer) =>
        resolve(
          err
            ? { code: grpc.status[err.code] ?? String(err.code), details: err.details, responses: [] }
            : { code: "OK", details: "", responses: res ? [res] : [] },
        ),
    );
  });
}

/**
 * Opens a server stream and waits for its status. GetContainerEvents never ends by itself: it is cancelled
 * after a moment, which counts as OK. Any other stream without a status after 5 s is reported as NO_STATUS.
 */
function serverStream(path: string, bytes: Uint8Array): Promise<Outcome> {
  const endless = path.endsWith("/GetContainerEvents");
  return new Promise((resolve) => {
    const responses: Buffer[] = [];
    const s = client.makeServerStreamRequest(path, passThrough, passThrough, Buffer.from(bytes), new grpc.Metadata(), {
      deadline: Date.now() + 30_000,
    });
    let cancelled = false;
    const timer = setTimeout(
      () => {
        cancelled = true;
        s.cancel();
      },
      endless ? 100 : 5000,
    );
    s.on("data", (b: Buffer) => responses.push(b));
    s.on("error", () => {}); // the status event carries it
    s.on("status", (st: grpc.StatusObject) => {
      clearTimeout(timer);
      if (cancelled && st.code === grpc.status.CANCELLED) resolve({ code: endless ? "OK" : "NO_STATUS", details: "", responses });
      else resolve({ code: grpc.status[st.code] ?? String(st.code), details: st.details, responses });
    });
  });
}

const send = (rpc: RpcInfo, bytes: Uint8Array) => (rpc.serverStreaming ? serverStream(rpc.path, bytes) : unary(rpc.path, bytes));

// ---------------------------------------------------------------------------------------------------
// Valid requests, which the mutations start from

const podConfig = (name: string) => ({
  metadata: { name, uid: `uid-${name}`, namespace: "fuzz", attempt: 0 },
  hostname: name,
  log_directory: join(daemonDir, "logs", name),
  dns_config: { servers: ["10.0.0.10"], searches: ["fuzz.svc"], options: ["ndots:5"] },
  port_mappings: [{ protocol: 0, container_port: 80, host_port: 0, host_ip: "" }],
  labels: { app: name },
  annotations: { "example.com/a": "b" },
  linux: { cgroup_parent: "", security_context: { namespace_options: { network: 0, pid: 1, ipc: 0 } } },
});

const resources = () => ({
  cpu_period: 100_000n,
  cpu_quota: 50_000n,
  cpu_shares: 512n,
  memory_limit_in_bytes: 256n << 20n,
  oom_score_adj: 10n,
});

function template(name: string): Msg {
  const c = live.containerId;
  const p = live.podId;
  const unknownPod = "0f6a3a4e-7d2c-4c55-9b1a-1d5e8f2b3c4d";
  const t: Record<string, Msg> = {
    RunPodSandbox: { config: podConfig("fz"), runtime_handler: "" },
    StopPodSandbox: { pod_sandbox_id: unknownPod },
    RemovePodSandbox: { pod_sandbox_id: unknownPod },
    PodSandboxStatus: { pod_sandbox_id: p, verbose: true },
    ListPodSandbox: { filter: { id: p, state: { state: 0 }, label_selector: { app: "live" } } },
    StreamPodSandboxes: { filter: { id: p, state: { state: 0 }, label_selector: { app: "live" } } },
    CreateContainer: {
      pod_sandbox_id: p,
      config: {
        metadata: { name: "fzc", attempt: 0 },
        image: { image: IMAGE, annotations: { a: "b" } },
        command: ["x"],
        args: ["y"],
        working_dir: "/",
        envs: [{ key: "K", value: "v" }],
        mounts: [{ container_path: "/data", host_path: join(base, "hostpaths", "m"), readonly: false, propagation: 0 }],
        devices: [{ container_path: "/dev/fz", host_path: "/dev/null", permissions: "rw" }],
        labels: { tier: "fz" },
        annotations: { "example.com/a": "b" },
        log_path: "fzc/0.log",
        linux: { resources: resources(), security_context: { run_as_user: { value: 0n }, supplemental_groups: [0n] } },
      },
      sandbox_config: podConfig("live"),
    },
    StartContainer: { container_id: c },
    StopContainer: { container_id: `${unknownPod}:0-app`, timeout: 1n },
    RemoveContainer: { container_id: `${unknownPod}:0-app` },
    ListContainers: { filter: { id: c, pod_sandbox_id: p, state: { state: 1 }, label_selector: { tier: "live" } } },
    StreamContainers: { filter: { id: c, pod_sandbox_id: p, state: { state: 1 }, label_selector: { tier: "live" } } },
    ContainerStatus: { container_id: c, verbose: true },
    UpdateContainerResources: { container_id: c, linux: resources(), annotations: { a: "b" } },
    ReopenContainerLog: { container_id: c },
    ExecSync: { container_id: c, cmd: ["true"], timeout: 5n },
    Exec: { container_id: c, cmd: ["true"], tty: false, stdin: false, stdout: true, stderr: true },
    Attach: { container_id: c, stdout: true },
    PortForward: { pod_sandbox_id: p, port: [80] },
    ContainerStats: { container_id: c },
    ListContainerStats: { filter: { id: c, pod_sandbox_id: p, label_selector: { tier: "live" } } },
    StreamContainerStats: { filter: { id: c, pod_sandbox_id: p, label_selector: { tier: "live" } } },
    PodSandboxStats: { pod_sandbox_id: p },
    ListPodSandboxStats: { filter: { id: p, label_selector: { app: "live" } } },
    StreamPodSandboxStats: { filter: { id: p, label_selector: { app: "live" } } },
    UpdateRuntimeConfig: { runtime_config: { network_config: { pod_cidr: "10.88.0.0/16" } } },
    Status: { verbose: true },
    CheckpointContainer: { container_id: c, location: join(base, "canary", "checkpoint.tar"), timeout: 5n },
    UpdatePodSandboxResources: { pod_sandbox_id: p, overhead: resources(), resources: resources() },
    ListImages: { filter: { image: { image: IMAGE } } },
    StreamImages: { filter: { image: { image: IMAGE } } },
    ImageStatus: { image: { image: IMAGE }, verbose: true },
    PullImage: { image: { image: IMAGE }, auth: { username: "u", password: "p" }, sandbox_config: podConfig("live") },
    RemoveImage: { image: { image: "docker.io/library/fuzz-victim:1" } },
  };
  return structuredClone(t[name] ?? {});
}

/** What each template gets (everything else: OK). */
const TEMPLATE_CODES: Record<string, string> = {
  StartContainer: "FAILED_PRECONDITION", // the live container already runs
  CheckpointContainer: "UNIMPLEMENTED",
};

// ---------------------------------------------------------------------------------------------------
// Cases

interface Case {
  rpc: RpcInfo;
  kind: "generic" | "mutation" | "raw";
  note: string;
  msg?: Msg;
  bytes: Uint8Array;
}

const ALLOWED_EXEC = new Set(["true", "false", "echo", "printf"]);

/** Could `cmd` start a real program on this host? ExecSync runs it for real (the simulator does not isolate). */
function runnable(cmd: string): boolean {
  const candidates = cmd.includes("/") ? [join("/", cmd)] : (process.env.PATH ?? "").split(delimiter).map((d) => join(d, cmd));
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A container that runs a while whatever arguments follow: they become the shell's positional parameters. */
const SAFE_COMMAND = ["sh", "-c", "sleep 60", "sh"];

/**
 * Keeps fuzzed commands from running a real program other than harmless ones (the simulator does not
 * isolate): ExecSync's argv may start only harmless ones, and a container's command and arguments all follow
 * SAFE_COMMAND, so they still reach rkt's command line, and the accepted container runs (see livesThrough).
 */
function defuse(rpc: RpcInfo, msg: Msg): Msg {
  // generated values are fast-check's: copy what changes
  const out = { ...msg };
  if (rpc.name === "ExecSync" && Array.isArray(msg.cmd) && msg.cmd.length > 0) {
    const [first, ...rest] = msg.cmd as unknown[];
    if (typeof first === "string" && first !== "" && !ALLOWED_EXEC.has(first) && runnable(first)) out.cmd = ["true", ...rest];
  }
  const config = msg.config;
  if (rpc.name === "CreateContainer" && config && typeof config === "object" && !Array.isArray(config)) {
    const command = (config as Msg).command;
    out.config = { ...config, command: [...SAFE_COMMAND, ...(Array.isArray(command) ? command : command === undefined ? [] : [command])] };
  }
  return out;
}

/** How a case reads in a failure report: the RPC, how it was made, and the request (big values elided). */
function where(c: Case): string {
  return `${c.rpc.name} (${c.kind}: ${c.note}) ${c.msg ? describeMsg(c.msg) : Buffer.from(c.bytes).toString("hex")}`;
}

function makeCase(c: Case): Case {
  return Object.assign(c, { [fc.toStringMethod]: () => where(c) });
}

function build(rpc: RpcInfo, kind: Case["kind"], note: string, msg: Msg, extra?: Uint8Array): Case {
  const safe = defuse(rpc, msg);
  const body = encodeMessage(rpc.request, safe);
  const bytes = extra ? Buffer.concat([body, extra]) : body;
  return makeCase({ rpc, kind, note, msg: safe, bytes });
}

function genericCase(rpc: RpcInfo): fc.Arbitrary<Case> {
  return messageArb(rpc.request, targets, 3).map((msg) => build(rpc, "generic", "generated", msg));
}

/** A valid request with one or two fields replaced (or removed). */
function mutationCase(rpc: RpcInfo): fc.Arbitrary<Case> {
  const paths = fieldPaths(rpc.request, 4);
  if (paths.length === 0) return genericCase(rpc);
  const one = fc.nat({ max: paths.length - 1 }).chain((i) => {
    const path = paths[i] as FieldInfo[];
    const parents = path.slice(0, -1).map((f) => f.name);
    const last = path.at(-1) as FieldInfo;
    return fc.tuple(fc.constant(path), fc.option(valueFor(last, targets, parents, 2), { freq: 8, nil: undefined }));
  });
  return fc.array(one, { minLength: 1, maxLength: 2 }).map((mutations) => {
    const msg = template(rpc.name);
    for (const [path, value] of mutations) setAt(msg, path, structuredClone(value)); // fast-check keeps its values
    return build(rpc, "mutation", mutations.map(([p]) => p.map((f) => f.name).join(".")).join(", "), msg);
  });
}

/** Wire-level junk: random bytes, invalid UTF-8 in a string field, unknown fields, a known field with the wrong wire type. */
function rawCase(rpc: RpcInfo): fc.Arbitrary<Case> {
  const stringPaths = fieldPaths(rpc.request, 4).filter((p) => (p.at(-1) as FieldInfo).kind === "string");
  const junk = fc.uint8Array({ minLength: 1, maxLength: 48 });
  const options: fc.Arbitrary<Case>[] = [
    junk.map((b) => makeCase({ rpc, kind: "raw", note: "random bytes", bytes: b })),
    fc.tuple(fc.integer({ min: 1, max: 536_870_911 }), fc.constantFrom(0, 1, 2, 5), junk).map(([n, wire, b]) => {
      const tag = Buffer.from(encodeTag(n, wire));
      const payload = wire === 0 ? Buffer.from([1]) : wire === 1 ? Buffer.alloc(8) : wire === 5 ? Buffer.alloc(4) : lengthPrefixed(b);
      return build(rpc, "raw", `field ${n} wire type ${wire}`, template(rpc.name), Buffer.concat([tag, payload]));
    }),
  ];
  if (stringPaths.length > 0) {
    options.push(
      fc
        .tuple(
          fc.constantFrom(...stringPaths),
          fc.constantFrom(Uint8Array.of(0xff, 0xfe), Uint8Array.of(0xc0, 0xaf, 0x2e, 0x2e), Uint8Array.of(0xed, 0xa0, 0x80), junk),
        )
        .map(([path, bad]) => {
          const names = path.map((f) => f.name);
          return build(rpc, "raw", `invalid UTF-8 at ${names.join(".")}`, template(rpc.name), encodeAt(rpc.request, names, bad));
        }),
    );
  }
  return fc.oneof(...options);
}

function varint(n: bigint): number[] {
  let v = n;
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}

const encodeTag = (n: number, wire: number) => varint(BigInt(n) * 8n + BigInt(wire));
const lengthPrefixed = (b: Uint8Array) => Buffer.concat([Buffer.from(varint(BigInt(b.length))), b]);

const caseArb = (): fc.Arbitrary<Case> =>
  fc
    .constantFrom(...rpcs)
    .chain((rpc) =>
      fc.oneof(
        { weight: 3, arbitrary: mutationCase(rpc) },
        { weight: 2, arbitrary: genericCase(rpc) },
        { weight: 1, arbitrary: rawCase(rpc) },
      ),
    );

// ---------------------------------------------------------------------------------------------------
// Checks

const BAD_CODES = new Set(["INTERNAL", "UNKNOWN"]);
/** `config.mounts[0].host_path: …` / `config.annotations["k"]: …`: the field, then a colon. */
const FIELD = /^((?:[a-z_][a-z0-9_]*)(?:\[\d+\]|\["(?:[^"\\]|\\.)*"\])*(?:\.[a-z_][a-z0-9_]*(?:\[\d+\]|\["(?:[^"\\]|\\.)*"\])*)*): /;

async function check(c: Case, out: Outcome): Promise<void> {
  const at = where(c);
  // grpc-js refuses bytes that are not a protobuf message before rktlet sees them (as grpc-go does)
  const undecodable = c.kind === "raw" && out.code === "INTERNAL" && out.details === "Error deserializing request";
  if (BAD_CODES.has(out.code) && !undecodable) throw new Error(`${out.code} "${out.details}" for ${at}`);
  if (out.code === "DEADLINE_EXCEEDED" && /^Deadline exceeded/.test(out.details)) throw new Error(`no answer in 30 s for ${at}`);
  if (out.code === "NO_STATUS") throw new Error(`the stream neither ended nor failed in 5 s for ${at}`);
  if (out.code === "INVALID_ARGUMENT") {
    const field = FIELD.exec(out.details)?.[1];
    if (!field || !fieldExists(c.rpc.request, field))
      throw new Error(`INVALID_ARGUMENT without a field of ${c.rpc.request.name}: "${out.details.slice(0, 300)}" for ${at}`);
  }
  for (const r of out.responses) c.rpc.decodeResponse(r);
  if (daemon.proc.exitCode !== null || daemon.proc.signalCode !== null)
    throw new Error(`the daemon exited (${daemon.proc.exitCode ?? daemon.proc.signalCode}) after ${at}\n${daemon.output().slice(-3000)}`);
  const version = await unary(rpcNamed("Version").path, new Uint8Array());
  if (version.code !== "OK") throw new Error(`Version answered ${version.code} "${version.details}" after ${at}`);
  const now = outside();
  if (now !== before) throw new Error(`files outside the daemon's directories changed after ${at}:\n${diff(before, now)}`);
  const escaped = escapes();
  if (escaped.length > 0) throw new Error(`${escaped.join(", ")} appeared after ${at}`);
  if (out.code === "OK") await keepsWhatItAccepted(c, out, at);
  if (out.code === "OK" && c.rpc.name === "CreateContainer") await livesThrough(c, out, at);
}

/** A container the daemon accepted can be started, its log reopened, and removed (running), none of it INTERNAL or UNKNOWN. */
async function livesThrough(c: Case, out: Outcome, at: string): Promise<void> {
  const id = (c.rpc.decodeResponse(out.responses[0] as Buffer) as { container_id: string }).container_id;
  const steps: [string, Msg][] = [
    ["StartContainer", { container_id: id }],
    ["ReopenContainerLog", { container_id: id }],
    ["RemoveContainer", { container_id: id }],
  ];
  for (const [name, req] of steps) {
    const rpc = rpcNamed(name);
    const r = await unary(rpc.path, encodeMessage(rpc.request, req));
    if (BAD_CODES.has(r.code)) throw new Error(`${name} of the container it accepted: ${r.code} "${r.details.slice(0, 300)}", for ${at}`);
  }
}

/** Well-formed text, which survives the trip as it is (raw bytes and lone surrogates are decoded lossily). */
function wellFormed(v: unknown): v is string {
  try {
    return typeof v === "string" && encodeURIComponent(v) !== undefined;
  } catch {
    return false;
  }
}

/**
 * The labels and annotations of a map field as the daemon must keep them (the last of repeated keys wins),
 * or undefined when the request holds text that cannot be compared. `__proto__` keys are left out: the
 * generated decoder drops them before rktlet sees the request (reported, not rktlet's code).
 */
function expectedMap(v: unknown): Record<string, string> | undefined {
  const pairs = Array.isArray(v) ? (v as [unknown, unknown][]) : v && typeof v === "object" ? Object.entries(v) : [];
  const out: Record<string, string> = {};
  for (const [k, val] of pairs) {
    if (!wellFormed(k) || !wellFormed(val)) return undefined;
    if (k !== "__proto__") Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A pod or container the daemon accepted reports the labels and annotations it was given, unchanged. */
async function keepsWhatItAccepted(c: Case, out: Outcome, at: string): Promise<void> {
  const config = c.msg?.config as Msg | undefined;
  if (!config || (c.rpc.name !== "RunPodSandbox" && c.rpc.name !== "CreateContainer")) return;
  const res = c.rpc.decodeResponse(out.responses[0] as Buffer) as { pod_sandbox_id?: string; container_id?: string };
  const status = (
    c.rpc.name === "RunPodSandbox"
      ? await call(clients.runtime, "PodSandboxStatus", { pod_sandbox_id: res.pod_sandbox_id })
      : await call(clients.runtime, "ContainerStatus", { container_id: res.container_id })
  ).status as Record<string, Record<string, string>>;
  for (const field of ["labels", "annotations"]) {
    const expected = expectedMap(config[field]);
    const got = { ...status[field] };
    if (expected && JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(expected).sort()))
      throw new Error(`${field} accepted but not kept: sent ${describeMsg(expected)}, status has ${describeMsg(got)}, for ${at}`);
  }
}

function diff(a: string, b: string): string {
  const left = new Set(a.split("\n"));
  const right = new Set(b.split("\n"));
  return [
    ...[...left].filter((l) => !right.has(l)).map((l) => `- ${l}`),
    ...[...right].filter((l) => !left.has(l)).map((l) => `+ ${l}`),
  ].join("\n");
}

/** Undoes what a successful case created, and brings back the live pod, container and image if a case took them. */
async function tidy(c: Case, out: Outcome): Promise<void> {
  if (out.code === "OK" && c.rpc.name === "RunPodSandbox") {
    const id = (c.rpc.decodeResponse(out.responses[0] as Buffer) as { pod_sandbox_id: string }).pod_sandbox_id;
    await call(clients.runtime, "RemovePodSandbox", { pod_sandbox_id: id });
  }
  if (out.code === "OK" && c.rpc.name === "CreateContainer") {
    const id = (c.rpc.decodeResponse(out.responses[0] as Buffer) as { container_id: string }).container_id;
    await call(clients.runtime, "RemoveContainer", { container_id: id });
  }
  if (DISRUPTIVE.has(c.rpc.name)) await ensureLive();
}

const DISRUPTIVE = new Set([
  "StopPodSandbox",
  "RemovePodSandbox",
  "StopContainer",
  "RemoveContainer",
  "UpdateContainerResources",
  "UpdatePodSandboxResources",
  "RemoveImage",
  "ExecSync",
]);

async function ensureLive(): Promise<void> {
  const image = await call(clients.image, "ImageStatus", { image: { image: IMAGE } });
  if (!image.image) await call(clients.image, "PullImage", { image: { image: IMAGE } });
  const pod = await call(clients.runtime, "ListPodSandbox", { filter: { id: live.podId, state: { state: "SANDBOX_READY" } } });
  if ((pod.items as unknown[]).length === 0) {
    if (live.podId) await call(clients.runtime, "RemovePodSandbox", { pod_sandbox_id: live.podId });
    const r = await call(clients.runtime, "RunPodSandbox", {
      config: { ...podConfig("live"), metadata: { ...podConfig("live").metadata, attempt: live.attempt++ } },
    });
    live.podId = r.pod_sandbox_id as string;
    live.containerId = "";
  }
  const running = live.containerId
    ? await call(clients.runtime, "ListContainers", { filter: { id: live.containerId, state: { state: "CONTAINER_RUNNING" } } })
    : { containers: [] };
  if ((running.containers as unknown[]).length === 0) {
    if (live.containerId) await call(clients.runtime, "RemoveContainer", { container_id: live.containerId });
    const r = await call(clients.runtime, "CreateContainer", {
      pod_sandbox_id: live.podId,
      config: {
        metadata: { name: "live", attempt: live.attempt++ },
        image: { image: IMAGE },
        command: ["sleep", "3600"],
        log_path: "live/0.log",
        labels: { tier: "live" },
      },
      sandbox_config: podConfig("live"),
    });
    live.containerId = r.container_id as string;
    await call(clients.runtime, "StartContainer", { container_id: live.containerId });
  }
}

/** Answers per RPC and code, printed with RKTLET_FUZZ_STATS=1 (to see how deep the cases get). */
const stats = new Map<string, number>();

/** Sends one case and checks the answer; whatever it created is removed even when a check fails. */
async function runCase(c: Case): Promise<void> {
  const out = await send(c.rpc, c.bytes);
  const key = `${c.rpc.name} ${c.kind} ${out.code}`;
  stats.set(key, (stats.get(key) ?? 0) + 1);
  let failure: unknown;
  try {
    await check(c, out);
  } catch (err) {
    failure = err;
  }
  try {
    await tidy(c, out);
  } catch (err) {
    failure ??= new Error(`tidying after ${where(c)} failed: ${String(err)}`);
  }
  if (failure) throw failure;
}

// ---------------------------------------------------------------------------------------------------

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "rkfz-"));
  daemonDir = join(base, "daemon");
  for (const d of [daemonDir, join(base, "canary", "sub"), join(base, "cwd"), join(base, "hostpaths")]) mkdirSync(d, { recursive: true });
  writeFileSync(join(base, "canary", "keep"), "canary\n");
  writeFileSync(join(base, "canary", "sub", "keep"), "canary\n");
  daemon = startDaemonIn(join(base, "cwd"), [...rktDaemonFlags(daemonDir, rktSimPath()), "--log-level=info"]);
  await waitForStart(daemon, 20_000);
  const socket = join(daemonDir, "cri.sock");
  client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  clients = referenceClients(socket);
  await ensureLive();
  targets = {
    canary: join(base, "canary"),
    logRoot: join(daemonDir, "logs"),
    podLogDir: join(daemonDir, "logs", "live"),
    hostPaths: join(base, "hostpaths"),
    marker,
    livePodId: () => live.podId,
    liveContainerId: () => live.containerId,
    image: IMAGE,
  };
  before = outside();
}, 60_000);

afterAll(async () => {
  if (process.env.RKTLET_FUZZ_STATS === "1")
    console.log(
      [...stats]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join("\n"),
    );
  client?.close();
  clients?.close();
  if (daemon) await stopDaemon(daemon);
  if (base) {
    const units = new ProcessUnitManager({ stateDir: join(daemonDir, "s", "units") });
    for (const u of await units.list()) await units.stop(u.name, 3000);
    rmSync(base, { recursive: true, force: true });
  }
  for (const n of escapes()) rmSync(n.startsWith("/") ? n : join(tmpdir(), n), { recursive: true, force: true });
}, 60_000);

test("every RPC answers its valid template as expected, and an empty request without INTERNAL or UNKNOWN", async () => {
  expect(rpcs.length).toBeGreaterThanOrEqual(40);
  for (const rpc of rpcs) {
    const c = build(rpc, "mutation", "template", template(rpc.name));
    const out = await send(rpc, c.bytes);
    const expected = TEMPLATE_CODES[rpc.name] ?? "OK";
    expect({ rpc: rpc.name, code: out.code, details: out.code === expected ? "" : out.details }).toEqual({
      rpc: rpc.name,
      code: expected,
      details: "",
    });
    await check(c, out);
    await tidy(c, out);
    await runCase(makeCase({ rpc, kind: "generic", note: "empty", msg: {}, bytes: new Uint8Array() }));
  }
}, 60_000);

/**
 * Every hand-written nasty value (see sweepValues) in every field of every RPC's valid request, one at a
 * time (built lazily: some are megabytes). `sandbox_config` is left to the generated cases: it is kubelet's copy of the pod's
 * config, which rktlet does not read (it has the pod's own), and sweeping it would cost a pull or a
 * container per value.
 */
function* sweepCases(): Generator<Case> {
  for (const rpc of rpcs) {
    for (const path of fieldPaths(rpc.request, 4)) {
      if (path[0]?.name === "sandbox_config") continue;
      for (const value of sweepValues(path, targets)) {
        const msg = template(rpc.name);
        setAt(msg, path, value);
        yield build(rpc, "mutation", `sweep ${path.map((f) => f.name).join(".")}`, msg);
      }
    }
  }
}

test("hand-written nasty values (huge, NUL, shell syntax, junk ids, paths at the canary) in every id, name, path, image, map and list", async () => {
  let n = 0;
  const started = Date.now();
  for (const c of sweepCases()) {
    await runCase(c);
    n++;
  }
  if (process.env.RKTLET_FUZZ_STATS === "1") console.log(`sweep: ${n} cases in ${Date.now() - started} ms`);
  expect(n).toBeGreaterThan(150);
}, 300_000);

test(`${RUNS} generated, mutated and raw requests over every RPC (seed ${SEED})`, async () => {
  await fc.assert(
    fc.asyncProperty(caseArb(), (c) => runCase(c)),
    { numRuns: RUNS, seed: SEED, endOnFailure: process.env.RKTLET_FUZZ_SHRINK !== "1" },
  );
}, 3_600_000);
