import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pod, type SimEnv, startSimEnv, until } from "./sim-env";

/** Images over the simulator's registry: canonical names, credentials, tags, users, removal, usage. */
let env: SimEnv;
let registry: string;
const previous = process.env.RKT_SIM_REGISTRY;

beforeAll(async () => {
  env = await startSimEnv({ insecureOptions: ["image", "ondisk", "http"] });
  registry = join(env.dir, "registry.json");
  writeFileSync(
    registry,
    JSON.stringify({
      images: {
        "docker.io/library/busybox:latest": { exec: ["sh"], user: "0", size: 3203584 },
        "docker.io/library/nginx:1.27": { exec: ["nginx"], user: "nginx", size: 5000000, digest: `sha256:${"a".repeat(64)}` },
        "docker.io/library/nginx:stable": { exec: ["nginx"], user: "nginx", size: 5000000, digest: `sha256:${"a".repeat(64)}` },
        "127.0.0.1:5000/private/app:1": { exec: ["/app"], user: "1002", http: true, auth: { user: "robot", password: "s3cret-pw" } },
      },
    }),
  );
  process.env.RKT_SIM_REGISTRY = registry;
}, 60_000);

afterAll(async () => {
  if (previous === undefined) delete process.env.RKT_SIM_REGISTRY;
  else process.env.RKT_SIM_REGISTRY = previous;
  await env.close();
}, 60_000);

describe("rkt image store over the simulator", () => {
  test("every spelling of a name is one image, with its canonical tag; uid and username the right way round", async () => {
    const images = env.runtime.images;
    const id = await images.pull("busybox", undefined);
    expect(id).toMatch(/^sha512-[0-9a-f]+$/);
    for (const form of ["busybox", "busybox:latest", "docker.io/library/busybox", "docker.io/library/busybox:latest", id]) {
      expect((await images.status(form))?.id).toBe(id);
    }
    const busybox = await images.status("busybox");
    expect(busybox).toMatchObject({ repoTags: ["docker.io/library/busybox:latest"], uid: 0n, username: "" });
    expect(busybox?.repoDigests[0]).toMatch(/^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    await images.pull("nginx:1.27", undefined);
    expect(await images.status("nginx:1.27")).toMatchObject({ uid: undefined, username: "nginx" });
    expect(await images.status("nginx:9.9")).toBeUndefined();
    // two tags of one docker image (same manifest digest) are one CRI image with both tags
    const nginx = await images.pull("nginx:stable", undefined);
    expect((await images.status("nginx:1.27"))?.id).toBe(nginx);
    expect([...((await images.status("nginx:stable"))?.repoTags ?? [])].sort()).toEqual([
      "docker.io/library/nginx:1.27",
      "docker.io/library/nginx:stable",
    ]);
    expect((await images.status("nginx:stable"))?.repoDigests).toEqual([`docker.io/library/nginx@sha256:${"a".repeat(64)}`]);
    expect((await images.list()).filter((i) => i.repoTags.some((t) => t.includes("nginx")))).toHaveLength(1);
    await images.remove(nginx);
    expect(await images.status("nginx:1.27")).toBeUndefined();
    expect(await images.status("nginx:stable")).toBeUndefined();
    await expect(images.pull("nosuchrepo/x:1", undefined)).rejects.toMatchObject({ kind: "NotFound" });
  }, 60_000);

  test("a private registry: refused without credentials, pulled with them; the credentials leave no file and no argv behind", async () => {
    const images = env.runtime.images;
    await expect(images.pull("127.0.0.1:5000/private/app:1", undefined)).rejects.toMatchObject({ kind: "FailedPrecondition" });
    const argvBefore = env.backend.runner.spawns.total;
    const seen: string[][] = [];
    const origRun = env.backend.runner.run.bind(env.backend.runner);
    env.backend.runner.run = (sub, args, options) => {
      seen.push(env.backend.runner.argv(sub, args, options));
      return origRun(sub, args, options);
    };
    try {
      const id = await images.pull("127.0.0.1:5000/private/app:1", {
        username: "robot",
        password: "s3cret-pw",
        auth: "",
        serverAddress: "",
        identityToken: "",
        registryToken: "",
      });
      expect((await images.status("127.0.0.1:5000/private/app:1"))?.id).toBe(id);
      expect((await images.status("127.0.0.1:5000/private/app:1"))?.uid).toBe(1002n);
    } finally {
      env.backend.runner.run = origRun;
    }
    expect(env.backend.runner.spawns.total).toBeGreaterThan(argvBefore);
    expect(seen.flat().join(" ")).not.toContain("s3cret-pw");
    const authDir = join(env.dir, "s", "auth");
    expect(existsSync(authDir) ? readdirSync(authDir) : []).toEqual([]);
    await expect(
      images.pull("127.0.0.1:5000/private/app:1", {
        username: "robot",
        password: "wrong",
        auth: "",
        serverAddress: "",
        identityToken: "",
        registryToken: "",
      }),
    ).rejects.toMatchObject({ kind: "FailedPrecondition" });
    const basic = Buffer.from("robot:s3cret-pw").toString("base64");
    await images.pull("127.0.0.1:5000/private/app:1", {
      username: "",
      password: "",
      auth: basic,
      serverAddress: "127.0.0.1:5000",
      identityToken: "",
      registryToken: "",
    });
  }, 60_000);

  test("remove is idempotent; the stage1 is listed pinned; filesystem usage is the store's", async () => {
    const images = env.runtime.images;
    const id = await images.pull("busybox", undefined);
    // a pod makes rkt import its default stage1
    const podId = await env.runtime.sandboxes.run(pod("img", env.logDir));
    await env.runtime.sandboxes.remove(podId);
    // rkt imported it behind rktlet's back: it shows once the image list is re-read (within seconds)
    const pinned = await until(async () => {
      const p = (await images.list()).filter((i) => i.pinned);
      return p.length > 0 && p;
    });
    expect(pinned.map((i) => i.repoTags[0])).toEqual([expect.stringMatching(/stage1/)]);
    const [fs] = await images.fsInfo();
    expect(fs?.usedBytes).toBeGreaterThan(3_000_000n);
    expect(fs?.inodesUsed).toBeGreaterThan(0n);
    await images.remove("busybox");
    await images.remove("busybox");
    await images.remove(id);
    expect(await images.status("busybox")).toBeUndefined();
  }, 60_000);
});
