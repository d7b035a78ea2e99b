/** Image store, fetch semantics, the simulated registry (RKT_SIM_REGISTRY) and image names in `app add`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunResult, SimEnv } from "./helpers";

let env: SimEnv;
afterEach(() => env.cleanup(), 30_000);

const NOT_FOUND =
  "either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled";

function ok(r: RunResult): RunResult {
  if (r.rc !== 0) throw new Error(`rc ${r.rc}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const fetch = (e: SimEnv, ...args: string[]): Promise<RunResult> => e.rkt("image", "fetch", "--pull-policy=update", "--full=true", ...args);
const lastLine = (r: RunResult): string => r.stdout.trim().split("\n").pop()!;

function withRegistry(images: Record<string, unknown>): SimEnv {
  const e = new SimEnv();
  const file = join(e.root, "registry.json");
  writeFileSync(file, JSON.stringify({ images }));
  Object.assign(e.env, { RKT_SIM_REGISTRY: file });
  return e;
}

describe("without a registry file", () => {
  beforeEach(() => {
    env = new SimEnv();
  });

  test("every docker image exists; ids depend only on the name", async () => {
    const r = ok(await fetch(env, "docker://busybox:latest"));
    expect(lastLine(r)).toMatch(/^sha512-[0-9a-f]{128}$/);
    expect(r.stderr).toMatch(/^Downloading sha256:[0-9a-f]{11} 1\.58 MB \/ 1\.58 MB\n$/);
    const again = ok(await fetch(env, "docker://docker.io/library/busybox:latest"));
    expect(lastLine(again)).toBe(lastLine(r));
    const other = new SimEnv();
    try {
      expect(lastLine(ok(await fetch(other, "docker://busybox:latest")))).toBe(lastLine(r));
    } finally {
      await other.cleanup();
    }
    expect(lastLine(ok(await fetch(env, "docker://busybox:1")))).not.toBe(lastLine(r));
    const short = ok(await env.rkt("image", "fetch", "--pull-policy=new", "docker://busybox:latest"));
    expect(short).toEqual({ rc: 0, stdout: `${lastLine(r).slice(0, 19)}\n`, stderr: "" });
  });

  test("docker2aci naming and manifest", async () => {
    const id = lastLine(ok(await fetch(env, "docker://busybox:latest")));
    const list = JSON.parse(ok(await env.rkt("image", "list", "--full", "--format=json", "--sort=importtime")).stdout) as Record<
      string,
      unknown
    >[];
    expect(list).toEqual([
      {
        id,
        name: "registry-1.docker.io/library/busybox:latest",
        import_time: expect.any(Number),
        last_used_time: expect.any(Number),
        size: 3203584,
      },
    ]);
    const m = JSON.parse(ok(await env.rkt("image", "cat-manifest", id)).stdout) as {
      name: string;
      app: Record<string, unknown>;
      annotations: { name: string; value: string }[];
    };
    expect(m.name).toBe("registry-1.docker.io/library/busybox");
    expect(m.app).toMatchObject({ exec: ["sh"], user: "0", group: "0" });
    expect(Object.fromEntries(m.annotations.map((a) => [a.name, a.value]))).toMatchObject({
      "appc.io/docker/originalname": "busybox:latest",
      "appc.io/docker/registryurl": "registry-1.docker.io",
      "appc.io/docker/repository": "library/busybox",
      "appc.io/docker/cmd": '["sh"]',
    });
    // cat-manifest by appc name works; a docker:// string is refused like rkt does.
    expect(ok(await env.rkt("image", "cat-manifest", "registry-1.docker.io/library/busybox:latest")).stdout).toContain(
      '"acKind": "ImageManifest"',
    );
    expect(await env.rkt("image", "cat-manifest", "docker://busybox:latest")).toEqual({
      rc: 254,
      stdout: "",
      stderr: "cat-manifest: malformed app string - colon may appear at most once\n",
    });
  });

  test("pull policies and a reference without tag", async () => {
    expect(await env.rkt("image", "fetch", "--pull-policy=never", "--full=true", "docker://busybox:latest")).toEqual({
      rc: 254,
      stdout: "",
      stderr: `fetch: unable to fetch docker image from URL "docker://busybox:latest": ${NOT_FOUND}\n`,
    });
    const first = ok(await env.rkt("image", "fetch", "--pull-policy=new", "--full=true", "docker://busybox:latest"));
    expect(first.stderr).toContain("Downloading");
    const hit = ok(await env.rkt("image", "fetch", "--pull-policy=new", "--full=true", "docker://busybox:latest"));
    expect(hit).toEqual({ rc: 0, stdout: first.stdout, stderr: "" });
    expect(ok(await env.rkt("image", "fetch", "--pull-policy=never", "--full=true", "docker://busybox:latest")).stdout).toBe(first.stdout);
    expect(await fetch(env, "docker://busybox")).toEqual({
      rc: 254,
      stdout: "",
      stderr: "fetch: attempted fallback to API v1 but not supported\n",
    });
  });

  test("image names accepted and refused by app add", async () => {
    const id = lastLine(ok(await fetch(env, "docker://busybox:latest")));
    const sb = await env.readySandbox(["--net=host"]);
    const add = (image: string, name: string): Promise<RunResult> =>
      env.rkt("app", "add", sb.uuid, image, `--name=${name}`, "--exec=/bin/true", "--", "---");
    const accepted = [
      id,
      id.slice(0, 19),
      "registry-1.docker.io/library/busybox:latest",
      "registry-1.docker.io/library/busybox",
      "docker://busybox:latest",
      "docker://docker.io/library/busybox:latest",
    ];
    for (const [i, image] of accepted.entries()) {
      expect(await add(image, `ok-${i}`)).toEqual({
        rc: 0,
        stdout: "",
        stderr: 'add: group "rkt" not found, will use default gid when rendering images\n',
      });
    }
    expect((await add("127.0.0.1:5000/library/busybox:latest", "x")).stderr).toBe(
      'add: error finding images: parse "127.0.0.1:5000/library/busybox:latest": first path segment in URL cannot contain colon\n',
    );
    expect((await add("library/busybox:latest", "x")).stderr).toBe(
      `add: error finding images: unable to fetch image from image name "library/busybox:latest": ${NOT_FOUND}\n`,
    );
    expect((await add("busybox", "x")).stderr).toBe(
      `add: error finding images: unable to fetch image from image name "busybox": ${NOT_FOUND}\n`,
    );
    expect(await add("sha512-deadbeef", "x")).toEqual({ rc: 254, stdout: "", stderr: "add: error finding images: no image IDs found\n" });
    const apps = JSON.parse(ok(await env.rkt("status", sb.uuid, "--format=json")).stdout).apps as { image_id: string }[];
    expect(apps.map((a) => a.image_id)).toEqual(accepted.map(() => id));
  });

  test("image rm by id and by name; missing ids are not an error", async () => {
    const a = lastLine(ok(await fetch(env, "docker://busybox:latest")));
    const b = lastLine(ok(await fetch(env, "docker://pause:3.9")));
    expect(await env.rkt("image", "rm", a, "registry-1.docker.io/library/pause:3.9")).toEqual({
      rc: 0,
      stdout: `successfully removed aci for image: "${a}"\nsuccessfully removed aci for image: "${b}"\n`,
      stderr: "rm: 2 image(s) successfully removed\n",
    });
    expect(await env.rkt("image", "rm", a)).toEqual({ rc: 0, stdout: "", stderr: "rm: no image IDs found\n" });
    expect(ok(await env.rkt("image", "list", "--full", "--format=json")).stdout).toBe("null\n");
  });

  test("stage1 by appc name, the built-in default stage1, and a missing --stage1-name", async () => {
    const s1 = ok(await fetch(env, "coreos.com/rkt/stage1-coreos:1.30.0"));
    expect(s1.stderr).toBe("");
    const m = JSON.parse(ok(await env.rkt("image", "cat-manifest", lastLine(s1))).stdout) as { annotations: { name: string }[] };
    expect(m.annotations.map((a) => a.name)).toContain("coreos.com/rkt/stage1/app/add");
    const sb = await env.readySandbox(["--stage1-name=coreos.com/rkt/stage1-coreos:1.30.0", "--net=host"]);
    expect(sb.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await env.run(["app", ...env.globals, "sandbox", "--stage1-name=example.com/no-stage1:1.0"]);
    expect(missing).toEqual({
      rc: 254,
      stdout: "",
      stderr: 'sandbox: could not fetch stage1 image "example.com/no-stage1:1.0": discovery failed\n',
    });
    const names = (JSON.parse(ok(await env.rkt("image", "list", "--format=json")).stdout) as { name: string }[]).map((i) => i.name);
    expect(names).toEqual(["coreos.com/rkt/stage1-coreos:1.30.0"]);
  });

  test("without --stage1-name the default stage1 is imported into the store", async () => {
    await env.readySandbox(["--net=host"]);
    const names = (JSON.parse(ok(await env.rkt("image", "list", "--format=json")).stdout) as { name: string }[]).map((i) => i.name);
    expect(names).toEqual(["coreos.com/rkt/stage1-coreos:1.30.0"]);
  });
});

describe("with a registry file", () => {
  test("listed images only, http registries, entrypoint images", async () => {
    env = withRegistry({
      "127.0.0.1:5000/library/busybox:latest": { exec: ["sh"], http: true, size: 3203584, layerSize: 1580000 },
      "docker.io/library/pause:3.9": { entrypoint: ["/pause"], size: 1401100, layerSize: 322000 },
    });
    expect(await fetch(env, "docker://127.0.0.1:5000/library/busybox:latest")).toEqual({
      rc: 254,
      stdout: "",
      stderr: 'fetch: Get "https://127.0.0.1:5000/v2/": http: server gave HTTP response to HTTPS client\n',
    });
    const http = await env.run([
      "image",
      "--debug=false",
      `--dir=${env.dir}`,
      "--insecure-options=image,ondisk,http",
      "fetch",
      "--full=true",
      "docker://127.0.0.1:5000/library/busybox:latest",
    ]);
    expect(http.rc).toBe(0);
    expect(await fetch(env, "docker://127.0.0.1:5000/library/nosuchrepo:latest")).toEqual({
      rc: 254,
      stdout: "",
      stderr: "fetch: attempted fallback to API v1 but not supported\n",
    });
    const pause = ok(await fetch(env, "docker://pause:3.9"));
    expect(pause.stderr).toMatch(/^Downloading sha256:[0-9a-f]{11} 322 KB \/ 322 KB\n$/);
    const m = JSON.parse(ok(await env.rkt("image", "cat-manifest", lastLine(pause))).stdout) as {
      app: { exec: string[] };
      annotations: { name: string; value: string }[];
    };
    expect(m.app.exec).toEqual(["/pause"]);
    expect(m.annotations.at(-1)).toEqual({ name: "appc.io/docker/entrypoint", value: '["/pause"]' });
    expect(await fetch(env, "coreos.com/rkt/stage1-coreos:1.30.0")).toEqual({ rc: 254, stdout: "", stderr: "fetch: discovery failed\n" });
  });

  test("registry credentials from auth.d in --user-config", async () => {
    env = withRegistry({ "registry.example.com/team/app:v1": { exec: ["/app"], auth: { user: "u", password: "p" } } });
    const url = "docker://registry.example.com/team/app:v1";
    const denied = "fetch: unexpected http code: 401, URL: https://registry.example.com/v2/team/app/manifests/v1\n";
    expect(await fetch(env, url)).toEqual({ rc: 254, stdout: "", stderr: denied });
    const conf = join(env.root, "userconf");
    mkdirSync(join(conf, "auth.d"), { recursive: true });
    const cred = (password: string): string =>
      JSON.stringify({
        rktKind: "dockerAuth",
        rktVersion: "v1",
        registries: ["registry.example.com"],
        credentials: { user: "u", password },
      });
    writeFileSync(join(conf, "auth.d", "docker.json"), cred("wrong"));
    const withConf = (): Promise<RunResult> =>
      env.run(["image", ...env.globals, `--user-config=${conf}`, "fetch", "--pull-policy=update", "--full=true", url]);
    expect((await withConf()).stderr).toBe(denied);
    writeFileSync(join(conf, "auth.d", "docker.json"), cred("p"));
    expect(lastLine(ok(await withConf()))).toMatch(/^sha512-/);
  });

  test("stage1 listed under its appc name", async () => {
    env = withRegistry({ "coreos.com/rkt/stage1-coreos:1.30.0": { size: 1000 } });
    expect(lastLine(ok(await fetch(env, "coreos.com/rkt/stage1-coreos:1.30.0")))).toMatch(/^sha512-/);
    expect(ok(await env.rkt("image", "fetch", "--pull-policy=new", "--full=true", "coreos.com/rkt/stage1-coreos:1.30.0")).stderr).toBe("");
  });
});

test("repository names follow docker's grammar: double underscores and runs of dashes are names, upper case and trailing separators are not", async () => {
  env = withRegistry({ "docker.io/library/a--b:latest": { exec: ["sh"] }, "docker.io/library/a__b:latest": { exec: ["sh"] } });
  for (const name of ["a--b", "a__b"]) ok(await fetch(env, `docker://${name}:latest`));
  for (const name of ["A", "a_", "a___b"]) {
    const r = await fetch(env, `docker://${name}`);
    expect({ name, rc: r.rc, stderr: r.stderr }).toMatchObject({ name, rc: 254, stderr: expect.stringContaining("invalid docker URL") });
  }
}, 30_000);
