import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import {
  call,
  codeOf,
  metricsUrl,
  referenceClients,
  startDaemon,
  startedLine,
  stopDaemon,
  useRktDaemon,
  waitForStart,
} from "./daemon-helpers";

/**
 * `--metrics-address`: the daemon's Prometheus endpoint, read with a strict parser of the text exposition
 * format, on the fake backend and on the rkt simulator; and nothing listening without the flag.
 */

// ---------------------------------------------------------------------------------------------------
// A strict parser of the Prometheus text exposition format (0.0.4)

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}
interface Family {
  readonly name: string;
  help?: string;
  type?: string;
  readonly samples: Sample[];
}
type Exposition = Map<string, Family>;

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const COMMENT_LINE = new RegExp(`^# (HELP|TYPE) (${NAME})(?: (.*))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,?)/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** A value as Go's strconv.ParseFloat reads it, which is what the format says (so prom-client's "Nan" passes). */
function parseValue(s: string, line: string): number {
  if (/^[+]?inf(inity)?$/i.test(s)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(s)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(s)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`bad value in: ${line}`);
  return Number(s);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`bad labels in: ${line}`);
    const [whole, key, raw, comma] = m as unknown as [string, string, string, string];
    if (key in out) throw new Error(`label ${key} twice in: ${line}`);
    out[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(whole.length);
    if (comma === "" && rest.length > 0) throw new Error(`labels not separated by commas in: ${line}`);
    if (comma === "," && rest.length === 0) throw new Error(`trailing comma in: ${line}`);
  }
  return out;
}

/** The sample names a family of this type may have. */
function sampleNames(f: Family): string[] {
  if (f.type === "histogram") return [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`];
  if (f.type === "summary") return [f.name, `${f.name}_sum`, `${f.name}_count`];
  return [f.name];
}

const keyOf = (labels: Record<string, string>, drop?: string) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== drop)
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/** Histogram buckets: per label set, `le` ascending, counts cumulative, the last `+Inf` and equal to `_count`, a `_sum`. */
function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Sample[]; sum?: number; count?: number }>();
  const group = (s: Sample) => {
    const k = keyOf(s.labels, "le");
    const g = groups.get(k) ?? { buckets: [] };
    groups.set(k, g);
    return g;
  };
  for (const s of f.samples) {
    if (s.name.endsWith("_bucket")) {
      if (!("le" in s.labels)) throw new Error(`${s.name} without le`);
      group(s).buckets.push(s);
    } else if (s.name.endsWith("_sum")) group(s).sum = s.value;
    else group(s).count = s.value;
  }
  for (const [k, g] of groups) {
    if (g.buckets.length === 0 || g.sum === undefined || g.count === undefined)
      throw new Error(`${f.name}${k}: buckets, _sum and _count must all be there`);
    let le = Number.NEGATIVE_INFINITY;
    let n = 0;
    for (const b of g.buckets) {
      const bound = parseValue(b.labels.le as string, `${f.name} le`);
      if (!(bound > le)) throw new Error(`${f.name}${k}: le not ascending at ${b.labels.le}`);
      if (b.value < n) throw new Error(`${f.name}${k}: buckets not cumulative at le=${b.labels.le}`);
      le = bound;
      n = b.value;
    }
    const last = g.buckets[g.buckets.length - 1] as Sample;
    if (last.labels.le !== "+Inf") throw new Error(`${f.name}${k}: the last bucket is not le="+Inf"`);
    if (last.value !== g.count) throw new Error(`${f.name}${k}: le="+Inf" is ${last.value} but _count is ${g.count}`);
  }
}

/** Parses the exposition text, throwing at the first thing that is not strictly right. */
function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("the text must end with a newline");
  const families: Exposition = new Map();
  const seen = new Set<string>();
  let current: Family | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = COMMENT_LINE.exec(line);
      if (!m) throw new Error(`not a HELP or TYPE line: ${line}`);
      const [, what, name, rest = ""] = m as unknown as [string, "HELP" | "TYPE", string, string?];
      const known = families.get(name);
      if (known && (known !== current || known.samples.length > 0)) throw new Error(`family ${name} is not in one piece`);
      const f: Family = known ?? { name, samples: [] };
      families.set(name, f);
      if (what === "HELP") {
        if (f.help !== undefined) throw new Error(`two HELP lines for ${name}`);
        f.help = rest;
      } else {
        if (f.type !== undefined) throw new Error(`two TYPE lines for ${name}`);
        if (!TYPES.has(rest)) throw new Error(`bad TYPE in: ${line}`);
        f.type = rest;
      }
      current = f;
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    if (!current?.type || !sampleNames(current).includes(name)) throw new Error(`sample outside its family (HELP and TYPE first): ${line}`);
    const sample = { name, labels: labelText === undefined ? {} : parseLabels(labelText, line), value: parseValue(valueText, line) };
    const id = name + keyOf(sample.labels);
    if (seen.has(id)) throw new Error(`duplicate sample: ${line}`);
    seen.add(id);
    if (current.type === "counter" && !(sample.value >= 0)) throw new Error(`negative counter: ${line}`);
    current.samples.push(sample);
  }
  for (const f of families.values()) {
    if (f.help === undefined || f.type === undefined) throw new Error(`family ${f.name} lacks HELP or TYPE`);
    if (f.type === "histogram") checkHistogram(f);
  }
  return families;
}

/** The value of the sample with exactly these labels, or undefined. */
function sampleValue(e: Exposition, sampleName: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of e.values()) for (const s of f.samples) if (s.name === sampleName && keyOf(s.labels) === keyOf(labels)) return s.value;
  return undefined;
}

function samplesOf(e: Exposition, sampleName: string): Sample[] {
  return [...e.values()].flatMap((f) => f.samples.filter((s) => s.name === sampleName));
}

describe("the exposition parser is strict", () => {
  const good = [
    "# HELP a_total A counter.",
    "# TYPE a_total counter",
    'a_total{method="/x/Y",code="OK"} 3',
    "",
    "# HELP h_seconds A histogram.",
    "# TYPE h_seconds histogram",
    'h_seconds_bucket{le="0.1",m="a"} 1',
    'h_seconds_bucket{le="1",m="a"} 2',
    'h_seconds_bucket{le="+Inf",m="a"} 2',
    'h_seconds_sum{m="a"} 0.6',
    'h_seconds_count{m="a"} 2',
    "",
  ];
  const text = (lines: string[]) => `${lines.join("\n")}\n`;

  test("accepts well-formed text", () => {
    const e = parseExposition(text(good));
    expect(sampleValue(e, "a_total", { code: "OK", method: "/x/Y" })).toBe(3);
    expect(sampleValue(e, "h_seconds_count", { m: "a" })).toBe(2);
  });

  test.each([
    ["a sample before its TYPE", (l: string[]) => l.filter((x) => x !== "# TYPE a_total counter")],
    ["a family without HELP", (l: string[]) => l.filter((x) => x !== "# HELP h_seconds A histogram.")],
    ["buckets that are not cumulative", (l: string[]) => l.map((x) => x.replace('le="1",m="a"} 2', 'le="1",m="a"} 0'))],
    ["+Inf not equal to _count", (l: string[]) => l.map((x) => x.replace('h_seconds_count{m="a"} 2', 'h_seconds_count{m="a"} 5'))],
    ["no +Inf bucket", (l: string[]) => l.filter((x) => !x.includes("+Inf"))],
    ["a bad label", (l: string[]) => l.map((x) => x.replace('code="OK"', "code=OK"))],
    ["a trailing comma", (l: string[]) => l.map((x) => x.replace('code="OK"}', 'code="OK",}'))],
    ["a bad value", (l: string[]) => l.map((x) => x.replace("} 3", "} three"))],
    ["a duplicate sample", (l: string[]) => [...l.slice(0, 3), l[2] as string, ...l.slice(3)]],
    ["a family in two pieces", (l: string[]) => [...l, 'a_total{method="/x/Z",code="OK"} 1']],
    ["a stray comment", (l: string[]) => ["# hello", ...l]],
  ])("refuses %s", (_, mutate) => {
    expect(() => parseExposition(text(mutate([...good])))).toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------
// The daemon

const RUNTIME = "/runtime.v1.RuntimeService";
const IMAGE = "/runtime.v1.ImageService";

async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await res.text());
}

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** TCP ports a process listens on, from /proc: its socket inodes matched against /proc/net/tcp{,6}. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const row of readFileSync(table, "utf8").trim().split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      if (cols[3] === "0A" && inodes.has(cols[9] as string)) ports.push(Number.parseInt((cols[1] as string).split(":")[1] as string, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

const portOf = (url: string) => Number(new URL(url).port);

describe("on the fake backend", () => {
  let dir: string;
  const fakeFlags = (socket: string) => ["--backend=fake", `--listen=${socket}`, "--stream-server-address=127.0.0.1:0", "--log-level=info"];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rktlet-metrics-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("RPCs are counted by method and code, unary latencies are histograms, streams are in flight while open", async () => {
    const socket = join(dir, "cri.sock");
    const daemon = startDaemon([...fakeFlags(socket), "--metrics-address=127.0.0.1:0"]);
    try {
      await waitForStart(daemon);
      const url = metricsUrl(daemon);
      expect(daemon.output()).toContain('"msg":"metrics server listening"');
      const streamUrl = startedLine(daemon).streamServer as string;
      expect(listeningPorts(daemon.proc.pid as number)).toEqual([portOf(url), portOf(streamUrl)].sort((a, b) => a - b));

      const c = referenceClients(socket);
      await call(c.runtime, "Version", { version: "v1" });
      await call(c.runtime, "Version", { version: "v1" });
      await call(c.runtime, "ListContainers", {});
      await call(c.image, "ListImages", {});
      expect(await codeOf(call(c.runtime, "ContainerStatus", { container_id: "0123456789abcdef" }))).toBe("NOT_FOUND");

      // a stream is in flight while open, and counted (CANCELLED) once the client goes away
      const events = "GetContainerEvents";
      const stream = (c.runtime as unknown as { GetContainerEvents(req: object): grpc.ClientReadableStream<unknown> }).GetContainerEvents(
        {},
      );
      stream.on("error", () => {});
      await waitFor(async () =>
        sampleValue(await scrape(url), "rktlet_cri_requests_in_flight", { method: `${RUNTIME}/${events}` }) === 1 ? true : undefined,
      );
      stream.cancel();
      await waitFor(async () =>
        sampleValue(await scrape(url), "rktlet_cri_requests_total", { method: `${RUNTIME}/${events}`, code: "CANCELLED" }),
      );

      const e = await scrape(url);
      const total = (method: string, code: string) => sampleValue(e, "rktlet_cri_requests_total", { method, code });
      expect(total(`${RUNTIME}/Version`, "OK")).toBe(2);
      expect(total(`${RUNTIME}/ListContainers`, "OK")).toBe(1);
      expect(total(`${IMAGE}/ListImages`, "OK")).toBe(1);
      expect(total(`${RUNTIME}/ContainerStatus`, "NOT_FOUND")).toBe(1);
      expect(total(`${RUNTIME}/ContainerStatus`, "OK")).toBeUndefined();
      expect(total(`${RUNTIME}/${events}`, "CANCELLED")).toBe(1);
      expect(sampleValue(e, "rktlet_cri_requests_in_flight", { method: `${RUNTIME}/${events}` })).toBe(0);
      expect(sampleValue(e, "rktlet_cri_requests_in_flight", { method: `${RUNTIME}/Version` })).toBe(0);

      const count = (method: string) => sampleValue(e, "rktlet_cri_request_duration_seconds_count", { method });
      expect(count(`${RUNTIME}/Version`)).toBe(2);
      expect(count(`${RUNTIME}/ListContainers`)).toBe(1);
      expect(count(`${RUNTIME}/ContainerStatus`)).toBe(1); // errors have latencies too
      expect(count(`${RUNTIME}/${events}`)).toBeUndefined(); // a stream's length is not a latency
      expect(sampleValue(e, "rktlet_cri_request_duration_seconds_sum", { method: `${RUNTIME}/Version` })).toBeGreaterThan(0);
      const versionBuckets = samplesOf(e, "rktlet_cri_request_duration_seconds_bucket").filter(
        (s) => s.labels.method === `${RUNTIME}/Version`,
      );
      expect(versionBuckets.map((s) => s.labels.le)).toContain("+Inf");
      expect(e.get("rktlet_cri_request_duration_seconds")?.type).toBe("histogram");
      expect(e.get("rktlet_cri_requests_total")?.type).toBe("counter");

      // state gauges: every state, at 0 on an empty runtime; no rkt commands on the fake backend
      for (const state of ["SANDBOX_READY", "SANDBOX_NOTREADY"]) expect(sampleValue(e, "rktlet_pod_sandboxes", { state })).toBe(0);
      for (const state of ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_UNKNOWN"])
        expect(sampleValue(e, "rktlet_containers", { state })).toBe(0);
      expect(samplesOf(e, "rktlet_rkt_commands_total")).toEqual([]);
      expect(samplesOf(e, "rktlet_build_info")[0]?.labels.backend).toBe("fake");
      expect(sampleValue(e, "process_resident_memory_bytes")).toBeGreaterThan(0);
      expect(sampleValue(e, "process_open_fds")).toBeGreaterThan(0);

      // after a RunPodSandbox and a container, the gauges follow
      const config = { metadata: { name: "m", uid: "uid-m", namespace: "default", attempt: 0 }, log_directory: "/var/log/pods/m" };
      const { pod_sandbox_id: podId } = (await call(c.runtime, "RunPodSandbox", { config })) as { pod_sandbox_id: string };
      await call(c.runtime, "CreateContainer", {
        pod_sandbox_id: podId,
        config: { metadata: { name: "app", attempt: 0 }, image: { image: "busybox" }, command: ["sleep", "60"], log_path: "app.log" },
        sandbox_config: config,
      });
      const after = await scrape(url);
      expect(sampleValue(after, "rktlet_pod_sandboxes", { state: "SANDBOX_READY" })).toBe(1);
      expect(sampleValue(after, "rktlet_containers", { state: "CONTAINER_CREATED" })).toBe(1);
      c.close();

      // only /metrics; GET and HEAD only
      expect((await fetch(url.replace(/\/metrics$/, "/"))).status).toBe(404);
      expect((await fetch(url.replace(/\/metrics$/, "/metrics/x"))).status).toBe(404);
      expect((await fetch(url, { method: "POST" })).status).toBe(405);
      const head = await fetch(url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe("");

      // SIGTERM closes the metrics server with the rest
      daemon.proc.kill("SIGTERM");
      expect(await daemon.exited).toBe(0);
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      await stopDaemon(daemon);
    }
  });

  test("without --metrics-address nothing more listens: the streaming server is the only TCP listener", async () => {
    const daemon = startDaemon(fakeFlags(join(dir, "cri.sock")));
    try {
      await waitForStart(daemon);
      const started = startedLine(daemon);
      expect(started.metrics).toBeUndefined();
      expect(daemon.output()).not.toContain("metrics server listening");
      expect(listeningPorts(daemon.proc.pid as number)).toEqual([portOf(started.streamServer as string)]);
    } finally {
      await stopDaemon(daemon);
    }
  });

  test("an address in use is refused at start-up, naming the flag", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    const daemon = startDaemon([...fakeFlags(join(dir, "cri.sock")), `--metrics-address=127.0.0.1:${port}`]);
    try {
      expect(await daemon.exited).toBe(1);
      expect(daemon.output()).toContain(
        `rktlet: --metrics-address 127.0.0.1:${port}: the address is in use; stop what listens there or choose another`,
      );
    } finally {
      taken.close();
    }
  });
});

describe("on the rkt backend (simulator)", () => {
  const d = useRktDaemon("rkd-metrics-", ["--metrics-address=127.0.0.1:0"]);

  test("rkt commands are counted and timed by subcommand and result; pods and containers by state", async () => {
    const url = metricsUrl(d.daemon());
    const c = referenceClients(join(d.dir(), "cri.sock"));
    try {
      await call(c.image, "PullImage", { image: { image: "busybox" } });
      const config = {
        metadata: { name: "web", uid: "uid-web", namespace: "default", attempt: 0 },
        log_directory: join(d.dir(), "logs", "web"),
      };
      const { pod_sandbox_id: podId } = (await call(c.runtime, "RunPodSandbox", { config })) as { pod_sandbox_id: string };
      const { container_id: cid } = (await call(c.runtime, "CreateContainer", {
        pod_sandbox_id: podId,
        config: {
          metadata: { name: "app", attempt: 0 },
          image: { image: "busybox" },
          command: ["sh", "-c", "sleep 3600"],
          log_path: "app.log",
        },
        sandbox_config: config,
      })) as { container_id: string };
      await call(c.runtime, "StartContainer", { container_id: cid });
      expect(await codeOf(call(c.runtime, "ContainerStatus", { container_id: `${cid.slice(0, -1)}x` }))).toBe("NOT_FOUND");

      const e = await scrape(url);
      const commands = samplesOf(e, "rktlet_rkt_commands_total");
      const bySub = new Map<string, number>();
      for (const s of commands) {
        expect(s.labels.result).toMatch(/^(ok|error|timeout|killed)$/);
        bySub.set(s.labels.subcommand as string, (bySub.get(s.labels.subcommand as string) ?? 0) + s.value);
      }
      // `image fetch` for the pull, `app add`/`app start` for the container, `list` for the snapshot
      for (const sub of ["image", "app", "list"])
        expect(sampleValue(e, "rktlet_rkt_commands_total", { subcommand: sub, result: "ok" })).toBeGreaterThan(0);
      // the histogram saw every command the counter did
      for (const [sub, n] of bySub) expect(sampleValue(e, "rktlet_rkt_command_duration_seconds_count", { subcommand: sub })).toBe(n);
      expect(sampleValue(e, "rktlet_rkt_command_duration_seconds_sum", { subcommand: "app" })).toBeGreaterThan(0);

      expect(sampleValue(e, "rktlet_pod_sandboxes", { state: "SANDBOX_READY" })).toBe(1);
      expect(sampleValue(e, "rktlet_pod_sandboxes", { state: "SANDBOX_NOTREADY" })).toBe(0);
      expect(sampleValue(e, "rktlet_containers", { state: "CONTAINER_RUNNING" })).toBe(1);
      expect(sampleValue(e, "rktlet_containers", { state: "CONTAINER_EXITED" })).toBe(0);

      expect(sampleValue(e, "rktlet_cri_requests_total", { method: `${RUNTIME}/RunPodSandbox`, code: "OK" })).toBe(1);
      expect(sampleValue(e, "rktlet_cri_requests_total", { method: `${IMAGE}/PullImage`, code: "OK" })).toBe(1);
      expect(sampleValue(e, "rktlet_cri_requests_total", { method: `${RUNTIME}/ContainerStatus`, code: "NOT_FOUND" })).toBe(1);
      expect(samplesOf(e, "rktlet_build_info")[0]?.labels.backend).toBe("rkt");

      // ExecSync runs `rkt app exec` (a streaming spawn): a non-zero exit is counted as an error
      expect(sampleValue(e, "rktlet_rkt_commands_total", { subcommand: "app", result: "error" })).toBeUndefined();
      const exec = await call(c.runtime, "ExecSync", { container_id: cid, cmd: ["sh", "-c", "exit 3"], timeout: 10 });
      expect(exec.exit_code).toBe(3);
      const later = await scrape(url);
      expect(sampleValue(later, "rktlet_rkt_commands_total", { subcommand: "app", result: "error" })).toBe(1);
      expect(sampleValue(later, "rktlet_cri_requests_total", { method: `${RUNTIME}/ExecSync`, code: "OK" })).toBe(1);
    } finally {
      c.close();
    }
  }, 60_000);
});
