import {
  parseAppStatus,
  parseFetchOutput,
  parseImageList,
  parseManifest,
  parsePodList,
  parsePodStatus,
  parseRktVersion,
  podIp,
} from "@rktlet/adapters-rkt";
import { fixture } from "./fixtures";

describe("parsing rkt's JSON, against real rkt 1.30 output", () => {
  test("`rkt list` prints null for no pods", () => {
    expect(parsePodList(fixture("list-0-pods").stdout)).toEqual([]);
    expect(parsePodList(fixture("list-0-pods-after").stdout)).toEqual([]);
  });

  test("`rkt list` with two pods: uuids, states, networks, pod times in seconds, annotations and labels", () => {
    const pods = parsePodList(fixture("list-2-pods").stdout);
    expect(pods.map((p) => [p.uuid, p.state])).toEqual([
      ["0dacbf9a-cd9d-46a6-a78b-4e862bc5eda6", "running"],
      ["c0a11ab3-2b8f-4e7e-8283-a25072cde53c", "running"],
    ]);
    const b = pods[0];
    expect(b?.createdAt).toBe(1795965130);
    expect(podIp(b as NonNullable<typeof b>)).toBe("172.16.28.2");
    expect(b?.userAnnotations["k8s.io/reserved/pod-namespace"]).toBe("kube-system");
    expect(b?.userLabels).toEqual({ app: "b" });
    const a = pods[1];
    expect(a?.networks).toEqual([]);
    expect(a?.apps.length).toBeGreaterThan(5);
  });

  test("app times keep every nanosecond (beyond 2^53)", () => {
    const app = parseAppStatus(fixture("app-status-exit3").stdout);
    expect(app).toMatchObject({ name: "0-exit3", state: "exited", exitCode: 3 });
    expect(app.createdAt).toBe(1795965029360693939n);
    expect(app.startedAt).toBe(1795965029828886820n);
    expect(app.finishedAt).toBe(1795965030080223168n);
    expect(app.imageId).toBe("sha512-173fc1ad39a42f40b54e166be5ab402cc81a67c94860618cfd5f4175c41bd067");
    expect(app.userAnnotations["k8s.io/reserved/image-name"]).toBe("127.0.0.1:5000/library/busybox:latest");
  });

  test("app status shapes: created, running, stopped (exit 15)", () => {
    expect(parseAppStatus(fixture("app-status-created").stdout)).toMatchObject({
      state: "created",
      startedAt: undefined,
      exitCode: undefined,
    });
    expect(parseAppStatus(fixture("app-status-full-running").stdout)).toMatchObject({ state: "running", userLabels: { tier: "backend" } });
    expect(parseAppStatus(fixture("app-status-stopped").stdout)).toMatchObject({ state: "exited", exitCode: 15 });
  });

  test("an exited pod's status forces its apps to exited; mounts are read", () => {
    const pod = parsePodStatus(fixture("status-exited-json").stdout);
    expect(pod.state).toBe("exited");
    expect(pod.apps.every((a) => a.state === "exited")).toBe(true);
    expect(pod.apps.find((a) => a.name === "0-full")?.mounts).toEqual([
      { name: "3f0c2a4e-6b1d-4c7e-9a2f-5d8e1b7c9a01", containerPath: "/data", hostPath: "HOSTVOL", readOnly: false },
    ]);
  });

  test("image list (and its empty form), manifest annotations and the fetch output", () => {
    expect(parseImageList(fixture("image-list-empty").stdout)).toEqual([]);
    const images = parseImageList(fixture("image-list").stdout);
    expect(images.map((i) => i.name)).toEqual([
      "coreos.com/rkt/stage1-host:1.30.0+git-dirty",
      "127.0.0.1_5000/library/busybox:latest",
      "127.0.0.1_5000/pause:3.9",
    ]);
    expect(images[1]?.size).toBe(3203584n);
    expect(images[1]?.importTime).toBe(1795964972552828329n);
    const m = parseManifest(fixture("image-cat-manifest").stdout);
    expect(m).toMatchObject({ name: "127.0.0.1_5000/library/busybox", originalName: "127.0.0.1:5000/library/busybox:latest", user: "0" });
    expect(m.manifestHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(parseManifest(fixture("image-cat-manifest-stage1").stdout).originalName).toBe("");
    expect(parseFetchOutput(fixture("image-fetch-update-first").stdout)).toBe(
      "sha512-173fc1ad39a42f40b54e166be5ab402cc81a67c94860618cfd5f4175c41bd067",
    );
    expect(() => parseFetchOutput("")).toThrow(/no image id/);
  });

  test("rkt version banner", () => {
    expect(parseRktVersion(fixture("version").stdout)).toBe("1.30.0+git-dirty");
  });
});
