import { connect } from "node:net";
import { createCriRuntime } from "@rktlet/core";
import { StreamingServer } from "@rktlet/streaming";
import { containerSpec, createFakeBackend, podSandboxSpec, spdyRemoteCommand } from "@rktlet/testkit";

/** The server itself: what no client can do to it. */
describe("StreamingServer", () => {
  const backend = createFakeBackend({ images: ["docker.io/library/busybox:latest"] });
  let server: StreamingServer;
  const runtime = createCriRuntime(backend, { streamingBaseUrl: () => server.url });

  beforeAll(async () => {
    server = new StreamingServer({ address: "127.0.0.1:0", redeem: (t) => runtime.streaming.take(t), runtime: backend.streams });
    await server.start();
  });
  afterAll(() => server.close());

  const raw = (bytes: string, reset = false) =>
    new Promise<string>((resolve) => {
      const port = Number(new URL(server.url).port);
      const s = connect(port, "127.0.0.1", () => {
        s.write(bytes);
        if (reset) s.resetAndDestroy();
      });
      let got = "";
      s.on("data", (d: Buffer) => (got += d.toString()));
      s.on("error", () => resolve(got));
      s.on("close", () => resolve(got));
    });

  const stillServes = async () => {
    const pod = await runtime.sandboxes.run(podSandboxSpec(`p${Date.now()}`));
    const cid = await runtime.containers.create(pod, containerSpec("c"));
    await runtime.containers.start(cid);
    const url = await runtime.streaming.exec({ containerId: cid, cmd: ["cat"], stdin: true, stdout: true, stderr: false, tty: false });
    const r = await spdyRemoteCommand(url, { stdin: "still here\n", stderr: false });
    expect(r.stdout.toString()).toBe("still here\n");
  };

  test("a URL that does not parse is refused, and the server goes on", async () => {
    expect(await raw("GET //[ HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(/^HTTP\/1.1 404/);
    await stillServes();
  });

  test("a client that resets during a refused upgrade does not take the server down", async () => {
    for (let i = 0; i < 5; i++) await raw("GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n", true);
    await stillServes();
  });
});
