import { Writable } from "node:stream";
import { status } from "@grpc/grpc-js";
import { ErrorKind, RktletError } from "@rktlet/core";
import { startFakeCriServer } from "@rktlet/testkit";
import { type ZodError, z } from "zod";
import { createLogger, protoFieldName, toServiceError } from "../src/index";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger("debug", stream) };
}

describe("logging", () => {
  test("registry credentials are redacted wherever they appear in a log object", () => {
    const { lines, logger } = capture();
    logger.info(
      { auth: "c2VjcmV0", request: { auth: { password: "hunter2", identityToken: "tok", registryToken: "rt", auth: "xyz" } } },
      "pull",
    );
    const text = lines.join("\n");
    for (const secret of ["c2VjcmV0", "hunter2", '"tok"', '"rt"', "xyz"]) expect(text).not.toContain(secret);
    expect(text).toContain("[redacted]");
  });

  test("a PullImage with credentials leaves no secret in the server's logs, and each RPC logs its name and ids", async () => {
    const { lines, logger } = capture();
    const t = await startFakeCriServer({ logger, images: ["busybox"] });
    try {
      const auth = {
        username: "u",
        password: "hunter2",
        auth: "dTpodW50ZXIy",
        serverAddress: "r.example",
        identityToken: "idtok",
        registryToken: "regtok",
      };
      await t.clients.image.pullImage({
        image: { image: "private/app:1", annotations: {}, userSpecifiedImage: "", runtimeHandler: "", imageRef: "" },
        auth,
        sandboxConfig: undefined,
      });
      expect(t.backend.images.lastAuth?.password).toBe("hunter2");
      await t.clients.runtime.containerStatus({ containerId: "abc123", verbose: false }).catch(() => undefined);
    } finally {
      await t.close();
    }
    const text = lines.join("\n");
    for (const secret of ["hunter2", "dTpodW50ZXIy", "idtok", "regtok"]) expect(text).not.toContain(secret);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toContainEqual(expect.objectContaining({ rpc: "PullImage", code: "OK" }));
    expect(records).toContainEqual(expect.objectContaining({ rpc: "ContainerStatus", containerId: "abc123", code: "NOT_FOUND" }));
  });
});

describe("error mapping", () => {
  test.each([
    [ErrorKind.InvalidArgument, status.INVALID_ARGUMENT],
    [ErrorKind.NotFound, status.NOT_FOUND],
    [ErrorKind.AlreadyExists, status.ALREADY_EXISTS],
    [ErrorKind.FailedPrecondition, status.FAILED_PRECONDITION],
    [ErrorKind.DeadlineExceeded, status.DEADLINE_EXCEEDED],
    [ErrorKind.Unavailable, status.UNAVAILABLE],
    [ErrorKind.ResourceExhausted, status.RESOURCE_EXHAUSTED],
    [ErrorKind.Unimplemented, status.UNIMPLEMENTED],
    [ErrorKind.Internal, status.INTERNAL],
  ])("%s → %s", (kind, code) => {
    expect(toServiceError(new RktletError(kind, "m")).code).toBe(code);
  });

  test("unexpected errors are INTERNAL; zod issues are INVALID_ARGUMENT naming the proto field", () => {
    expect(toServiceError(new TypeError("x is undefined")).code).toBe(status.INTERNAL);
    const zerr = z.object({ podSandboxId: z.string().min(1, "must not be empty") }).safeParse({ podSandboxId: "" }).error as ZodError;
    const e = toServiceError(zerr);
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toBe("pod_sandbox_id: must not be empty");
    expect(protoFieldName(["config", "mounts", 2, "hostPath"])).toBe("config.mounts[2].host_path");
  });
});
