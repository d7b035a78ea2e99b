import { createCriRuntime, PodSandboxState, RktletError } from "@rktlet/core";
import { createFakeBackend, startFakeCriServer, type TestServer } from "@rktlet/testkit";

/** The examples of packages/core/README.md and packages/testkit/README.md, run as written. */
test("core README example", async () => {
  const runtime = createCriRuntime(createFakeBackend({ images: ["busybox"] }));
  const podId = await runtime.sandboxes.run({
    metadata: { name: "web", uid: "1234", namespace: "default", attempt: 0 },
    hostname: "web",
    logDirectory: "/var/log/pods/web",
    dns: undefined,
    portMappings: [],
    labels: { app: "web" },
    annotations: {},
    cgroupParent: "",
    privileged: false,
    sysctls: {},
    namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD", targetId: "" },
    runtimeHandler: "",
  });
  const ready = await runtime.sandboxes.list({ state: PodSandboxState.Ready });
  expect(ready.map((s) => s.id)).toEqual([podId]);
  let message = "";
  try {
    await runtime.sandboxes.status("no-such-pod");
  } catch (err) {
    if (RktletError.is(err, "NotFound")) message = err.message;
  }
  expect(message).toBe('pod sandbox "no-such-pod" not found');
});

describe("testkit README example", () => {
  let cri: TestServer;
  beforeEach(async () => {
    cri = await startFakeCriServer({ images: ["busybox"] });
  });
  afterEach(() => cri.close());

  test("my CRI client lists what it started", async () => {
    const config = {
      metadata: { name: "web", uid: "1", namespace: "default", attempt: 0 },
      hostname: "",
      logDirectory: "",
      dnsConfig: undefined,
      portMappings: [],
      labels: {},
      annotations: {},
      linux: undefined,
      windows: undefined,
    };
    const { podSandboxId } = await cri.clients.runtime.runPodSandbox({ config, runtimeHandler: "" });
    const { items } = await cri.clients.runtime.listPodSandbox({ filter: undefined });
    expect(items.map((p) => p.id)).toEqual([podSandboxId]);
    expect(cri.address).toMatch(/^unix:\/\/\/.*cri\.sock$/);
  });
});
