import * as grpc from "@grpc/grpc-js";
import {
  checkImageRef,
  checkStringMap,
  ErrorKind,
  invalidArgument,
  limits,
  RktletError,
  validateContainerSpec,
  validatePodSandboxSpec,
} from "@rktlet/core";
import * as api from "@rktlet/cri-api";
import { toServiceError } from "@rktlet/cri-server";
import { containerSpec, linuxResources, podSandboxSpec, startFakeCriServer, type TestServer } from "@rktlet/testkit";
import { MAX_TIMEOUT_SECONDS } from "../src/grpc/validation";
import { containerConfig, podConfig } from "./fixtures";

/** What the fuzz test (fuzz.e2e.test.ts) found, one case each, on the fake backend or the validators. */

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (RktletError.is(err, ErrorKind.InvalidArgument)) return err.message;
    throw err;
  }
  return "accepted";
}

describe("command lines: what reaches rkt's argv fits what Linux takes (else E2BIG: a crash in ExecSync, INTERNAL elsewhere)", () => {
  test("an argument is measured in UTF-8 bytes, not characters", () => {
    const twoByteChars = "\u00e9".repeat(70_000); // 70 000 characters, 140 000 bytes
    expect(refusal(() => validateContainerSpec(containerSpec("app", { args: [twoByteChars] })))).toMatch(
      /^config\.args\[0\]: must be at most 122880 bytes in UTF-8/,
    );
    expect(
      refusal(() => validateContainerSpec(containerSpec("app", { envs: [{ key: "K", value: "x".repeat(limits.argLength) }] }))),
    ).toMatch(/^config\.envs\[0\]\.value: .* together with its key/);
  });

  test("all of a request's labels, annotations, environment and arguments together fit one command line", () => {
    const big = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v".repeat(60_000)]));
    expect(refusal(() => validatePodSandboxSpec(podSandboxSpec("p", { labels: big(48) })))).toMatch(
      /^config\.labels: must be at most 262144 bytes of keys and values in all/,
    );
    const spec = containerSpec("app", { labels: big(4), annotations: big(4), args: Array.from({ length: 6 }, () => "a".repeat(100_000)) });
    expect(refusal(() => validateContainerSpec(spec))).toMatch(/^config\.args: makes the request too large for a command line/);
  });
});

describe("values rkt refuses are INVALID_ARGUMENT naming the field, not rkt's error as INTERNAL", () => {
  test("image references follow docker's grammar", () => {
    for (const ok of [
      "busybox",
      "docker://busybox:latest",
      "docker.io/library/busybox:latest",
      "127.0.0.1:5000/private/app:1",
      "localhost:5000/a__b/c--d.e:1.0-rc",
      `nginx@sha256:${"0".repeat(64)}`,
      `sha256:${"ab".repeat(32)}`,
      `sha512-${"f".repeat(128)}`,
    ])
      expect([ok, checkImageRef(ok)]).toEqual([ok, undefined]);
    for (const bad of ["UPPER/Case:Tag", "sha512-", "busybox:", "busybox@", "a//b", "-a", "busybox@sha256:xyz", "x:y:z"])
      expect([bad, checkImageRef(bad)]).toEqual([bad, expect.stringMatching(/^is not a valid image reference/)]);
  });

  test("uids and gids are unsigned 32-bit", () => {
    const security = (over: Record<string, unknown>) => ({ ...containerSpec().security, ...over });
    expect(refusal(() => validateContainerSpec(containerSpec("app", { security: security({ supplementalGroups: [-5n] }) })))).toBe(
      "config.linux.security_context.supplemental_groups[0]: must be from 0 to 4294967294",
    );
    expect(refusal(() => validateContainerSpec(containerSpec("app", { security: security({ runAsUser: 2n ** 32n }) })))).toMatch(
      /^config\.linux\.security_context\.run_as_user: /,
    );
  });

  test("a port mapping's host_ip is an IP address", () => {
    const spec = podSandboxSpec("p", { portMappings: [{ protocol: "TCP", containerPort: 80, hostPort: 8080, hostIp: "1.2.3.4/x,y" }] });
    expect(refusal(() => validatePodSandboxSpec(spec))).toBe("config.port_mappings[0].host_ip: must be an IP address");
  });

  test("resources out of range name the field where the request has them", () => {
    expect(refusal(() => validateContainerSpec(containerSpec("app", { resources: linuxResources({ oomScoreAdj: 5000n }) })))).toBe(
      "config.linux.resources.oom_score_adj: must be from -1000 to 1000",
    );
    expect(refusal(() => validateContainerSpec(containerSpec("app", { resources: linuxResources({ unified: { "../x": "1" } }) })))).toBe(
      'config.linux.resources.unified["../x"]: is not a cgroup v2 interface file that may be set',
    );
    // kubelet's hugepage limits on cgroup v2 carry the page size in capitals
    const hugepages = { "hugetlb.2MB.max": "4194304", "hugetlb.1GB.max": "0", "memory.high": "max" };
    expect(() => validateContainerSpec(containerSpec("app", { resources: linuxResources({ unified: hugepages }) }))).not.toThrow();
  });

  test("a log path names a file, never the pod's log directory itself (its log could not be written or reopened)", () => {
    for (const logPath of [".", "./", "a/", "a/."])
      expect([logPath, refusal(() => validateContainerSpec(containerSpec("app", { logPath })))]).toEqual([
        logPath,
        "config.log_path: must name a file, not a directory",
      ]);
    expect(refusal(() => validateContainerSpec(containerSpec("app", { logPath: "app/./0.log" })))).toBe("accepted");
  });

  test("a label key with '=' is refused: rkt's key=value would silently move it into the value", () => {
    expect(checkStringMap({ "a=b": "c" })).toBe(`key "a=b" must not contain '='`);
  });
});

test("a status message is bounded: one echoing a huge request would not fit the header that carries it", () => {
  const e = toServiceError(new RktletError(ErrorKind.Unavailable, `could not run rkt: ${"x".repeat(2_000_000)}`));
  expect(e.code).toBe(grpc.status.UNAVAILABLE);
  expect(e.details.length).toBeLessThan(1100);
  expect(e.details).toMatch(/^could not run rkt: x+… \(\d+ more characters\)$/);
});

describe("over the fake backend", () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startFakeCriServer({ images: ["busybox"] });
  });
  afterEach(async () => {
    await t.close();
  });

  const running = async () => {
    const { podSandboxId } = await t.clients.runtime.runPodSandbox({ config: podConfig("p"), runtimeHandler: "" });
    const { containerId } = await t.clients.runtime.createContainer({
      podSandboxId,
      config: containerConfig("c"),
      sandboxConfig: podConfig("p"),
    });
    await t.clients.runtime.startContainer({ containerId });
    return { podSandboxId, containerId };
  };

  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return { code: grpc.status[(err as grpc.ServiceError).code], details: (err as grpc.ServiceError).details };
    }
    return { code: "OK", details: "" };
  };

  test("a refused server-streaming call ends with its status instead of leaving the client waiting", async () => {
    const stream = t.clients.raw.runtime.streamPodSandboxes(
      { filter: api.PodSandboxFilter.fromPartial({ id: "bad;id" }) },
      new grpc.Metadata(),
      {
        deadline: Date.now() + 3000,
      },
    );
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      stream.on("error", () => {});
      stream.on("status", resolve);
    });
    expect(grpc.status[status.code]).toBe("INVALID_ARGUMENT");
    expect(status.details).toMatch(/^filter\.id: /);
  });

  test("an ExecSync argument over the kernel's limit is INVALID_ARGUMENT naming it, as is a command line over the total", async () => {
    const { containerId } = await running();
    const exec = (cmd: string[]) => failure(t.clients.runtime.execSync({ containerId, cmd, timeout: 5n }));
    expect(await exec(["echo", "\u00e9".repeat(70_000)])).toEqual({
      code: "INVALID_ARGUMENT",
      details: "cmd[1]: must be at most 122880 bytes in UTF-8",
    });
    expect(await exec(["echo", ...Array.from({ length: 40 }, () => "x".repeat(100_000))])).toEqual({
      code: "INVALID_ARGUMENT",
      details: "cmd: must be at most 1048576 bytes in all",
    });
  });

  test("timeouts longer than a Node timer holds are waited for as long as it holds, not fired at once", async () => {
    const { containerId } = await running();
    const execSync = jest.spyOn(t.backend.apps, "execSync");
    const stop = jest.spyOn(t.backend.apps, "stop");
    await t.clients.runtime.execSync({ containerId, cmd: ["true"], timeout: 30_000_000n });
    expect(execSync.mock.calls[0]?.[2].timeoutMs).toBe(MAX_TIMEOUT_SECONDS * 1000);
    expect(MAX_TIMEOUT_SECONDS * 1000).toBeLessThanOrEqual(0x7fffffff);
    await t.clients.runtime.stopContainer({ containerId, timeout: 30_000_000n });
    expect(stop.mock.calls[0]?.[1]).toBe(MAX_TIMEOUT_SECONDS);
  });

  test("UpdatePodSandboxResources names the pod's fields, its own and those a backend names as a container's", async () => {
    const { podSandboxId } = await running();
    const update = (r: Partial<api.LinuxContainerResources>) =>
      failure(
        t.clients.runtime.updatePodSandboxResources({
          podSandboxId,
          overhead: undefined,
          resources: api.LinuxContainerResources.fromPartial(r),
        }),
      );
    expect(await update({ cpuQuota: -5n })).toEqual({ code: "INVALID_ARGUMENT", details: "resources.cpu_quota: must be at least -1" });
    t.backend.sandboxes.faults.failNext("updateResources", invalidArgument("linux.cpuset_cpus", "cannot be applied here"));
    expect(await update({ cpusetCpus: "0" })).toEqual({
      code: "INVALID_ARGUMENT",
      details: "resources.cpuset_cpus: cannot be applied here",
    });
  });
});
