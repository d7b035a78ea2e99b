import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { connectSpdy, spdyPortForward, spdyRemoteCommand, wsPortForward, wsRemoteCommand } from "@rktlet/testkit";
import { call, podConfig, useRktDaemon } from "./daemon-helpers";

/**
 * exec, attach and port-forward through the daemon's streaming server, on the rkt simulator, with our own
 * SPDY/3.1 and WebSocket clients (which speak as client-go does).
 */
const suite = useRktDaemon("rkd-stream-");
let c: ReturnType<typeof suite.clients>;
let podId: string;
const ids: Record<string, string> = {};
// simulated pods share the host's network: take a port nobody uses
let webPort = 0;
// a server that says one line and closes, and one that sends 3 MB and closes
let closerPort = 0;
let bulkPort = 0;
const BULK = 3_000_000;
const config = () => podConfig(suite.dir(), "streams");

beforeAll(async () => {
  c = suite.clients();
  webPort = await freePort();
  closerPort = await freePort();
  bulkPort = await freePort();
  await call(c.image, "PullImage", { image: { image: "busybox" } });
  podId = ((await call(c.runtime, "RunPodSandbox", { config: config() })) as { pod_sandbox_id: string }).pod_sandbox_id;
  const containers: Record<string, { command: string[]; stdin?: boolean }> = {
    shell: { command: ["sh", "-c", "sleep 3600"] },
    talker: { command: ["sh", "-c", 'while read line; do echo "heard $line"; done'], stdin: true },
    web: {
      command: [
        process.execPath,
        "-e",
        [
          `require('http').createServer((q, s) => s.end('hello from the pod ' + q.url)).listen(${webPort}, '127.0.0.1');`,
          `require('net').createServer((s) => s.end('hello\\n')).listen(${closerPort}, '127.0.0.1');`,
          `require('net').createServer((s) => s.end(Buffer.alloc(${BULK}, 7))).listen(${bulkPort}, '127.0.0.1');`,
        ].join(""),
      ],
    },
  };
  for (const [name, spec] of Object.entries(containers)) {
    const { container_id: id } = (await call(c.runtime, "CreateContainer", {
      pod_sandbox_id: podId,
      config: {
        metadata: { name, attempt: 0 },
        image: { image: "busybox" },
        command: spec.command,
        stdin: spec.stdin ?? false,
        log_path: `${name}.log`,
      },
      sandbox_config: config(),
    })) as { container_id: string };
    await call(c.runtime, "StartContainer", { container_id: id });
    ids[name] = id;
  }
}, 60_000);

const execUrl = async (cmd: string[], o: { stdin?: boolean; tty?: boolean; stderr?: boolean } = {}) =>
  (
    (await call(c.runtime, "Exec", {
      container_id: ids.shell,
      cmd,
      stdin: o.stdin ?? false,
      stdout: true,
      stderr: o.stderr ?? !o.tty,
      tty: o.tty ?? false,
    })) as { url: string }
  ).url;

const READ_AND_EXIT = ["sh", "-c", "read x; echo got-$x; echo to-stderr >&2; exit 7"];

test("exec with stdin gives the output and exit code 7 over SPDY", async () => {
  const r = await spdyRemoteCommand(await execUrl(READ_AND_EXIT, { stdin: true }), { stdin: "hello\n" });
  expect(r.protocol).toMatch(/^v[45]\.channel\.k8s\.io$/);
  expect(r.stdout.toString()).toBe("got-hello\n");
  expect(r.stderr.toString()).toBe("to-stderr\n");
  expect(r.exitCode).toBe(7);
});

test("exec with stdin gives the output and exit code 7 over WebSocket (v5 closes stdin, v4 binary, v4 base64)", async () => {
  const v5 = await wsRemoteCommand(await execUrl(READ_AND_EXIT, { stdin: true }), {
    protocols: ["v5.channel.k8s.io"],
    stdin: "ws\n",
    closeStdin: true,
  });
  expect([v5.protocol, v5.stdout.toString(), v5.stderr.toString(), v5.exitCode]).toEqual([
    "v5.channel.k8s.io",
    "got-ws\n",
    "to-stderr\n",
    7,
  ]);
  for (const protocol of ["v4.channel.k8s.io", "v4.base64.channel.k8s.io"]) {
    const r = await wsRemoteCommand(await execUrl(["sh", "-c", "echo out; exit 3"]), { protocols: [protocol] });
    expect([r.protocol, r.stdout.toString(), r.exitCode]).toEqual([protocol, "out\n", 3]);
  }
});

test("a successful exec reports success, and an exec that cannot run reports why", async () => {
  const ok = await spdyRemoteCommand(await execUrl(["true"]), {});
  expect(ok.exitCode).toBe(0);
  expect(ok.status).toMatchObject({ status: "Success" });
  const missing = await spdyRemoteCommand(await execUrl(["/no/such/binary"]), {});
  expect(missing.exitCode).not.toBe(0);
  expect(missing.stderr.toString()).toContain("/no/such/binary");
});

test("tty exec runs under a terminal of the size the client set", async () => {
  const r = await spdyRemoteCommand(
    await execUrl(["sh", "-c", "read x; stty size; tty >/dev/null && echo is-a-tty"], { stdin: true, tty: true }),
    {
      tty: true,
      stdin: "go\n",
      resize: [{ width: 100, height: 30 }],
    },
  );
  expect(r.stdout.toString()).toMatch(/30 100\r?\n/);
  expect(r.stdout.toString()).toContain("is-a-tty");
  expect(r.exitCode).toBe(0);
});

test("attach sees output written after it attached and feeds the container's stdin", async () => {
  const url = ((await call(c.runtime, "Attach", { container_id: ids.talker, stdin: true, stdout: true, stderr: true })) as { url: string })
    .url;
  const r = await spdyRemoteCommand(url, { stdin: "one\ntwo\n" });
  expect(r.stdout.toString()).toBe("heard one\nheard two\n");
  expect(r.status).toMatchObject({ status: "Success" });
  // a container made without stdin cannot take one: the client is told why
  const noStdin = ((await call(c.runtime, "Attach", { container_id: ids.shell, stdin: true, stdout: true })) as { url: string }).url;
  const refused = await spdyRemoteCommand(noStdin, { stdin: "x\n", stderr: false });
  expect(JSON.stringify(refused.status)).toContain("was created without stdin");
});

test("port-forward fetches a page from an HTTP server in the pod, over SPDY and WebSocket", async () => {
  const url = async () => ((await call(c.runtime, "PortForward", { pod_sandbox_id: podId, port: [webPort] })) as { url: string }).url;
  const fetchThrough = (data: NodeJS.ReadWriteStream, path: string) =>
    new Promise<string>((resolve, reject) => {
      let body = "";
      data.on("data", (d: Buffer) => (body += d.toString()));
      data.on("end", () => resolve(body));
      data.on("error", reject);
      data.write(`GET ${path} HTTP/1.0\r\nHost: pod\r\n\r\n`);
    });
  const spdy = await spdyPortForward(await url());
  const pages = await Promise.all(["/a", "/b", "/c"].map(async (p) => fetchThrough((await spdy.connect(webPort)).data, p)));
  expect(pages.map((p) => p.slice(p.indexOf("\r\n\r\n") + 4))).toEqual([
    "hello from the pod /a",
    "hello from the pod /b",
    "hello from the pod /c",
  ]);
  const closedPort = await freePort();
  const refused = await spdy.connect(closedPort);
  expect(await refused.error).toMatch(new RegExp(String(closedPort)));
  await spdy.close();

  const ws = await wsPortForward(await url(), [webPort]);
  const page = await fetchThrough(ws.streams[0]?.data as NodeJS.ReadWriteStream, "/ws");
  expect(page).toContain("hello from the pod /ws");
  ws.close();
}, 30_000);

test("port-forward: a pod that closes first ends the client's stream; big transfers arrive whole", async () => {
  const url = ((await call(c.runtime, "PortForward", { pod_sandbox_id: podId, port: [] })) as { url: string }).url;
  const spdy = await spdyPortForward(url);
  const drain = (data: NodeJS.ReadableStream) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      data.on("data", (d: Buffer) => chunks.push(d));
      data.on("end", () => resolve(Buffer.concat(chunks)));
      data.on("error", reject);
    });
  // the client never half-closes: the end must come from the pod side
  const hello = await spdy.connect(closerPort);
  expect((await drain(hello.data)).toString()).toBe("hello\n");
  expect(await hello.error).toBe("");
  const sizes = await Promise.all(Array.from({ length: 5 }, async () => (await drain((await spdy.connect(bulkPort)).data)).length));
  expect(sizes).toEqual(Array(5).fill(BULK));
  await spdy.close();
}, 60_000);

test("tokens are single-use and unknown ones are refused; garbage after the upgrade closes only that connection", async () => {
  const url = await execUrl(["true"]);
  await spdyRemoteCommand(url, {});
  await expect(spdyRemoteCommand(url, {})).rejects.toThrow(/404/);
  await expect(spdyRemoteCommand(url.replace(/[^/]+$/, "not-a-token"), {})).rejects.toThrow(/404/);

  const garbage = await execUrl(["sleep", "30"]);
  const u = new URL(garbage);
  await new Promise<void>((resolve) => {
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: "POST",
      headers: { "Content-Length": "0", Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" },
    });
    req.on("upgrade", (_res, socket) => {
      socket.on("error", () => {});
      socket.resume();
      socket.on("close", () => resolve());
      socket.write(Buffer.alloc(64, 0xff));
    });
    req.end();
  });
  expect(await call(c.runtime, "Version", {})).toMatchObject({ runtime_name: "rkt" });
});

test("50 concurrent exec sessions finish correctly and leave no descriptors or processes behind", async () => {
  const pid = daemonPid();
  const before = { fds: openFds(pid), children: children(pid) };
  const results = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const url = await execUrl(["sh", "-c", `read x; echo "$x-${i}"; exit ${i % 5}`], { stdin: true });
      return spdyRemoteCommand(url, { stdin: `s${i}\n` });
    }),
  );
  results.forEach((r, i) => {
    expect(r.stdout.toString()).toBe(`s${i}-${i}\n`);
    expect(r.exitCode).toBe(i % 5);
  });
  const after = await settle(
    () => ({ fds: openFds(pid), children: children(pid) }),
    (v) => v.fds <= before.fds && v.children <= before.children,
  );
  expect(after.fds).toBeLessThanOrEqual(before.fds);
  expect(after.children).toBeLessThanOrEqual(before.children);
}, 60_000);

test("a client that vanishes mid-exec takes the process with it", async () => {
  const pid = daemonPid();
  const before = children(pid);
  const marker = `vanish-${process.pid}`;
  const { connection } = await connectSpdy(await execUrl(["sh", "-c", `sleep 300; : ${marker}`]), ["v4.channel.k8s.io"]);
  for (const streamtype of ["error", "stdout", "stderr"]) await connection.openStream({ streamtype });
  expect(
    await settle(
      () => running(marker),
      (v) => v,
    ),
  ).toBe(true);
  connection.destroy("client gone");
  // the daemon's own short-lived children (a periodic rkt list) may come and go: assert the settled sample
  const after = await settle(
    () => ({ running: running(marker), children: children(pid) }),
    (v) => !v.running && v.children <= before,
  );
  expect(after.running).toBe(false);
  expect(after.children).toBeLessThanOrEqual(before);
}, 30_000);

test("a client that vanishes mid tty exec takes the command with it, even one that ignores SIGHUP", async () => {
  const marker = `vanish-tty-${process.pid}`;
  const url = await execUrl(["sh", "-c", `trap '' HUP; sleep 300; : ${marker}`], { stdin: true, tty: true });
  const { connection } = await connectSpdy(url, ["v4.channel.k8s.io"]);
  for (const streamtype of ["error", "stdin", "stdout", "resize"]) await connection.openStream({ streamtype });
  expect(
    await settle(
      () => running(marker),
      (v) => v,
    ),
  ).toBe(true);
  connection.destroy("client gone");
  expect(
    await settle(
      () => running(marker),
      (v) => !v,
    ),
  ).toBe(false);
}, 30_000);

/** Whether a process whose command line holds `marker` runs on the host. */
function running(marker: string): boolean {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .some((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, "utf8").includes(marker);
      } catch {
        return false;
      }
    });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function daemonPid(): number {
  return suite.daemon().proc.pid as number;
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function children(pid: number): number {
  return readdirSync(`/proc/${pid}/task`)
    .map((t) => readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim())
    .filter(Boolean)
    .join(" ")
    .split(/\s+/)
    .filter(Boolean).length;
}

/** Samples `observe` until `done` holds or time is up, and returns the last sample (what the test asserts). */
async function settle<T>(observe: () => T, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = observe();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}
