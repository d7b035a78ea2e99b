import { STREAM_TOKEN_TTL_NS } from "@rktlet/core";
import { containerSpec, rejection, sandboxSpec, setup } from "./helpers";

describe("ImageService", () => {
  test("pull, list, status, remove; an absent image is undefined, removing it twice is fine", async () => {
    const { runtime } = setup();
    expect(await runtime.images.status("nginx:1.27")).toBeUndefined();
    const ref = await runtime.images.pull("nginx:1.27", undefined);
    const img = await runtime.images.status("nginx:1.27");
    expect(img?.id).toBe(ref);
    expect(img?.repoTags).toContain("docker.io/library/nginx:1.27");
    expect((await runtime.images.list()).map((i) => i.id)).toContain(ref);
    expect(await runtime.images.list({ image: "nginx:1.27" })).toHaveLength(1);
    await runtime.images.remove("nginx:1.27");
    await runtime.images.remove("nginx:1.27");
    expect(await runtime.images.status("nginx:1.27")).toBeUndefined();
  });

  test("image references with shell characters are refused", async () => {
    const { runtime, backend } = setup();
    const err = await rejection(runtime.images.pull("busybox`id`", undefined));
    expect(err.kind).toBe("InvalidArgument");
    expect(backend.images.pulls).toBe(0);
  });
});

describe("StreamingService", () => {
  async function running() {
    const s = setup();
    const pod = await s.runtime.sandboxes.run(sandboxSpec("web"));
    const id = await s.runtime.containers.create(pod, containerSpec("app"));
    await s.runtime.containers.start(id);
    return { ...s, pod, id };
  }

  test("a token is long, single-use and expires after a minute", async () => {
    const { runtime, id, clock } = await running();
    const url = await runtime.streaming.exec({ containerId: id, cmd: ["sh"], tty: true, stdin: true, stdout: true, stderr: false });
    const match = /^http:\/\/127\.0\.0\.1:10241\/exec\/([0-9a-f]+)$/.exec(url);
    expect(match?.[1]?.length).toBeGreaterThanOrEqual(32);
    const token = match?.[1] as string;
    expect(runtime.streaming.take(token)).toMatchObject({ kind: "exec", containerId: id, cmd: ["sh"] });
    expect(runtime.streaming.take(token)).toBeUndefined();
    const late = (await runtime.streaming.attach({ containerId: id, tty: false, stdin: false, stdout: true, stderr: true }))
      .split("/")
      .pop() as string;
    clock.advance(STREAM_TOKEN_TTL_NS);
    expect(runtime.streaming.take(late)).toBeUndefined();
  });

  test("requests are checked: a stream is needed, tty excludes stderr, the target must run", async () => {
    const { runtime, id, pod } = await running();
    expect(
      (await rejection(runtime.streaming.attach({ containerId: id, tty: false, stdin: false, stdout: false, stderr: false }))).kind,
    ).toBe("InvalidArgument");
    expect(
      (await rejection(runtime.streaming.exec({ containerId: id, cmd: ["sh"], tty: true, stdin: false, stdout: true, stderr: true })))
        .field,
    ).toBe("stderr");
    expect((await rejection(runtime.streaming.portForward(pod, [0]))).field).toBe("port[0]");
    expect(await runtime.streaming.portForward(pod, [80, 443])).toMatch(/\/portforward\//);
    await runtime.containers.stop(id, 0);
    expect(
      (await rejection(runtime.streaming.attach({ containerId: id, tty: false, stdin: false, stdout: true, stderr: false }))).kind,
    ).toBe("FailedPrecondition");
  });
});
