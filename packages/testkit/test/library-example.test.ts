import { status } from "@grpc/grpc-js";
import {
  type AuthConfig,
  createCriRuntime,
  ErrorKind,
  type FilesystemUsage,
  type Image,
  type ImageStore,
  notFound,
  RktletError,
} from "@rktlet/core";
import { type ContainerEventResponse, ContainerEventType, ContainerState } from "@rktlet/cri-api";
import { createFakeBackend, criContainerConfig, criPodConfig, startFakeCriServer, type TestServer } from "@rktlet/testkit";

// The example of docs/library.md, run as written.

// Part 1: a fake CRI server, driven by a gRPC client as kubelet would drive rktlet.
describe("a CRI client against the fake server", () => {
  let cri: TestServer;
  beforeEach(async () => {
    cri = await startFakeCriServer({ images: ["busybox"] });
  });
  afterEach(() => cri.close());

  test("runs a pod and a container, and sees the container exit", async () => {
    const rt = cri.clients.runtime;
    const podConfig = criPodConfig("web");
    const { podSandboxId } = await rt.runPodSandbox({ config: podConfig, runtimeHandler: "" });
    const { containerId } = await rt.createContainer({
      podSandboxId,
      config: criContainerConfig("app"),
      sandboxConfig: podConfig,
    });
    await rt.startContainer({ containerId });

    const exec = await rt.execSync({ containerId, cmd: ["echo", "hello"], timeout: 5n });
    expect(exec.stdout.toString()).toBe("hello\n");

    // Subscribe to events, then make the container exit by itself, as its process would.
    const events = rt.getContainerEvents({});
    const stopped = new Promise<ContainerEventResponse>((resolve) => {
      events.on("data", (e: ContainerEventResponse) => {
        if (e.containerEventType === ContainerEventType.CONTAINER_STOPPED_EVENT) resolve(e);
      });
    });
    events.on("error", () => undefined); // cancelling below ends the stream with an error
    while (cri.runtime.events.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5)); // the server has subscribed
    cri.backend.apps.exit(containerId, 3);
    expect((await stopped).containerId).toBe(containerId);
    events.cancel();

    const { status: s } = await rt.containerStatus({ containerId, verbose: false });
    expect(s?.state).toBe(ContainerState.CONTAINER_EXITED);
    expect(s?.exitCode).toBe(3);
  });

  test("a fault injected into a fake reaches the client as a gRPC status", async () => {
    cri.backend.sandboxes.faults.failNext("run", new RktletError(ErrorKind.Unavailable, "rkt is not answering"));
    await expect(cri.clients.runtime.runPodSandbox({ config: criPodConfig("db"), runtimeHandler: "" })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
      details: "rkt is not answering",
    });
  });
});

// Part 2: a port of your own. This image store knows a fixed set of images and pulls nothing.
class FixedImageStore implements ImageStore {
  constructor(private readonly images: readonly Image[]) {}

  async pull(ref: string, _auth: AuthConfig | undefined): Promise<string> {
    const image = await this.find(ref);
    if (!image) throw notFound("image", ref);
    return image.id;
  }

  async list(): Promise<readonly Image[]> {
    return this.images;
  }

  async find(ref: string): Promise<Image | undefined> {
    return this.images.find((i) => i.id === ref || i.repoTags.includes(ref));
  }

  async remove(_id: string): Promise<void> {
    throw new RktletError(ErrorKind.FailedPrecondition, "this store is read-only");
  }

  async fsInfo(): Promise<readonly FilesystemUsage[]> {
    return [];
  }
}

test("a backend made of fakes and one port of your own", async () => {
  const busybox: Image = {
    id: "sha256:1111",
    repoTags: ["busybox"],
    repoDigests: [],
    size: 4_000_000n,
    uid: 0n,
    username: "",
    pinned: false,
    annotations: {},
  };
  const backend = { ...createFakeBackend(), images: new FixedImageStore([busybox]) };
  const runtime = createCriRuntime(backend);

  // The use cases add the CRI rules on top of the port: an absent image is `undefined`, not an error.
  expect(await runtime.images.status("busybox")).toEqual(busybox);
  expect(await runtime.images.status("nginx")).toBeUndefined();
  await expect(runtime.images.pull("nginx", undefined)).rejects.toMatchObject({ kind: ErrorKind.NotFound });
  runtime.close();
});
