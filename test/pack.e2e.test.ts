import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectCriClients } from "@rktlet/testkit";

/**
 * What `npm pack` makes of every workspace package installs and works on its own, outside the repository:
 * the packages are packed from their built dist/, installed from the tarballs into a fresh project (npm's
 * cache first, the registry for what is missing), and then used the way a user would: the `rktlet`
 * command, require(), and the type declarations under a strict tsc.
 */

const ROOT = join(__dirname, "..");
const WORKSPACES = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] }).workspaces;
const run = promisify(execFile);

interface PackedFile {
  readonly path: string;
}
interface Packed {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly PackedFile[];
}
interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly main: string;
  readonly types: string;
  readonly bin?: Record<string, string>;
  readonly scripts?: Record<string, string>;
}

const manifests: Manifest[] = WORKSPACES.map((w) => JSON.parse(readFileSync(join(ROOT, w, "package.json"), "utf8")) as Manifest);

/** The environment of an npm started by `npm test` says which project it ran in; the child npm must not see that. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_call$|config_workspaces?$)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

async function npm(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run("npm", [...args], { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  return stdout;
}

let dir: string;
let project: string;
let packed: Packed[];
const started = Date.now();

beforeAll(async () => {
  WORKSPACES.forEach((w, i) => {
    const types = (manifests[i] as Manifest).types;
    if (!existsSync(join(ROOT, w, types))) throw new Error(`${w}/${types} is missing: run \`npm run build\` first`);
  });
  dir = await mkdtemp(join(tmpdir(), "rktlet-pack-"));
  const tarballs = join(dir, "tarballs");
  project = join(dir, "project");
  await mkdir(tarballs, { recursive: true });
  packed = JSON.parse(await npm(ROOT, ["pack", "--workspaces", "--pack-destination", tarballs, "--json", "--loglevel=error"])) as Packed[];
  const dependencies: Record<string, string> = {};
  for (const p of packed) dependencies[p.name] = `file:${join(tarballs, p.filename)}`;
  // the type check below needs Node's types, as any TypeScript user of these packages does
  dependencies["@types/node"] = (
    JSON.parse(readFileSync(join(ROOT, "node_modules/@types/node/package.json"), "utf8")) as { version: string }
  ).version;
  await mkdir(project, { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "rktlet-pack-check", private: true, dependencies }, null, 2));
  // No lifecycle scripts: ours have none, and a third-party optional native build would only cost time.
  await npm(project, ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]);
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  process.stdout.write(`pack test: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
});

test("every workspace package is packed, with its build output and without sources or tests", () => {
  expect(packed.map((p) => p.name).sort()).toEqual(manifests.map((m) => m.name).sort());
  for (const p of packed) {
    const m = manifests.find((x) => x.name === p.name) as Manifest;
    const paths = p.files.map((f) => f.path);
    // installs run with --ignore-scripts below; that is only fair while no package needs an install script
    const installScripts = Object.keys(m.scripts ?? {}).filter((k) => /^(pre|post)?install$/.test(k));
    expect({ name: p.name, installScripts }).toEqual({ name: p.name, installScripts: [] });
    expect({ name: p.name, main: paths.includes(m.main), types: paths.includes(m.types) }).toEqual({
      name: p.name,
      main: true,
      types: true,
    });
    expect({ name: p.name, stray: paths.filter((f) => /(^|\/)(src|test)\//.test(f) || f.endsWith(".test.js")) }).toEqual({
      name: p.name,
      stray: [],
    });
  }
});

test("each installed package has its declarations and loads with require()", async () => {
  for (const m of manifests) {
    const installed = join(project, "node_modules", m.name);
    const declarations = readdirSync(join(installed, "dist"), { recursive: true }).filter((f) => String(f).endsWith(".d.ts"));
    expect({ name: m.name, types: existsSync(join(installed, m.types)), declarations: declarations.length > 0 }).toEqual({
      name: m.name,
      types: true,
      declarations: true,
    });
  }
  const script = `const names = ${JSON.stringify(manifests.map((m) => m.name))};
    const out = {};
    for (const n of names) out[n] = Object.keys(require(n)).length;
    out.createCriRuntime = typeof require("@rktlet/core").createCriRuntime;
    console.log(JSON.stringify(out));`;
  const { stdout } = await run(process.execPath, ["-e", script], { cwd: project });
  const exports = JSON.parse(stdout) as Record<string, number | string>;
  expect(exports.createCriRuntime).toBe("function");
  for (const m of manifests) expect({ name: m.name, exports: (exports[m.name] as number) > 0 }).toEqual({ name: m.name, exports: true });
});

test("the rktlet and rkt-sim commands are installed and run", async () => {
  const bin = join(project, "node_modules", ".bin");
  const help = await run(join(bin, "rktlet"), ["--help"], { cwd: project });
  expect(help.stdout).toMatch(/^Usage:\n {2}rktlet \[flags\] +run the daemon$/m);
  const version = await run(join(bin, "rktlet"), ["--version"], { cwd: project });
  const cri = manifests.find((m) => m.name === "@rktlet/cri-server") as Manifest;
  expect(version.stdout.trim()).toBe(`rktlet ${cri.version}`);
  const sim = await run(join(bin, "rkt-sim"), ["version"], { cwd: project });
  expect(sim.stdout).toMatch(/^rkt Version: /);
});

test("the installed daemon serves the CRI (fake backend)", async () => {
  const socket = join(dir, "cri.sock");
  const daemon: ChildProcess = spawn(
    join(project, "node_modules", ".bin", "rktlet"),
    ["--backend", "fake", "--listen", socket, "--stream-server-address", "127.0.0.1:0"],
    { cwd: project, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  daemon.stdout?.on("data", (b: Buffer) => {
    output += b.toString();
  });
  daemon.stderr?.on("data", (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => daemon.on("exit", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 15_000;
    while (!output.includes("rktlet started")) {
      if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`the daemon did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const clients = connectCriClients(socket);
    try {
      const v = await clients.runtime.version({ version: "" });
      expect(v.runtimeApiVersion).toBe("v1");
      const images = await clients.image.listImages({ filter: undefined });
      expect(images.images.length).toBeGreaterThan(0);
    } finally {
      clients.close();
    }
  } finally {
    daemon.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
}, 30_000);

test("a TypeScript user of @rktlet/core and @rktlet/testkit type-checks under strict settings and runs", async () => {
  const source = `import { createCriRuntime, type PodSandbox, PodSandboxState, RktletError } from "@rktlet/core";
import { createFakeBackend, podSandboxSpec, startFakeCriServer, type TestServer } from "@rktlet/testkit";

async function main(): Promise<void> {
  const runtime = createCriRuntime(createFakeBackend({ images: ["busybox"] }));
  const id: string = await runtime.sandboxes.run(podSandboxSpec("web"));
  const ready: PodSandbox[] = await runtime.sandboxes.list({ state: PodSandboxState.Ready });
  const cri: TestServer = await startFakeCriServer();
  const { items } = await cri.clients.runtime.listPodSandbox({ filter: undefined });
  await cri.close();
  runtime.close();
  let missing = "";
  await runtime.sandboxes.status("nope").catch((err: unknown) => {
    if (RktletError.is(err, "NotFound")) missing = err.kind;
  });
  console.log(JSON.stringify({ id: id.length > 0, ready: ready.length, items: items.length, missing }));
}

/** Never called: the declarations are real types, not any. */
export function typed(): void {
  const runtime = createCriRuntime(createFakeBackend());
  // @ts-expect-error: a string is not a PodSandboxSpec
  void runtime.sandboxes.run("not a spec");
}

void main();
`;
  writeFileSync(join(project, "check.ts"), source);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        lib: ["es2022"],
        module: "node16",
        moduleResolution: "node16",
        types: ["node"],
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        // check the packages' declarations too, not only our use of them
        skipLibCheck: false,
        outDir: "out",
      },
      files: ["check.ts"],
    }),
  );
  const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
  await run(process.execPath, [tsc, "-p", project], { cwd: project }).catch((err: { stdout?: string; message: string }) => {
    throw new Error(`tsc failed:\n${err.stdout ?? err.message}`);
  });
  const { stdout } = await run(process.execPath, [join(project, "out", "check.js")], { cwd: project });
  expect(JSON.parse(stdout)).toEqual({ id: true, ready: 1, items: 0, missing: "NotFound" });
}, 60_000);
