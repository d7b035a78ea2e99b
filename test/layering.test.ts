import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as ts from "typescript";

/**
 * The architecture, enforced: which packages each package's sources may import. `core` is the pure
 * domain (no gRPC, no processes, no file system); adapters see core only; cri-server wires everything.
 */
const ROOT = join(__dirname, "..");
const NODE_BUILTINS_FORBIDDEN_IN_CORE = [
  "child_process",
  "fs",
  "fs/promises",
  "net",
  "http",
  "http2",
  "dgram",
  "cluster",
  "worker_threads",
  "os",
];

interface Rule {
  readonly dir: string;
  readonly allowed: (specifier: string) => boolean;
  readonly why: string;
}

const isRelative = (s: string) => s.startsWith(".");
const isNode = (s: string) => s.startsWith("node:");
const ADAPTER_DEPS = new Set(["@rktlet/core", "@rktlet/node-support"]);

const RULES: Rule[] = [
  {
    dir: "packages/core/src",
    allowed: (s) => isRelative(s),
    why: "core imports nothing but itself: no adapter, no gRPC, no generated types, no node: modules",
  },
  ...["adapters-rkt", "adapters-systemd", "adapters-process"].map((name) => ({
    dir: `packages/${name}/src`,
    allowed: (s: string) => isRelative(s) || isNode(s) || ADAPTER_DEPS.has(s) || (!s.startsWith("@rktlet/") && !s.startsWith("@grpc/")),
    why: "adapters depend on core and node-support only, never on the server, gRPC, the testkit or other adapters",
  })),
  {
    dir: "packages/streaming/src",
    allowed: (s: string) => isRelative(s) || isNode(s) || s === "@rktlet/core" || s === "ws",
    why: "the streaming server speaks HTTP, SPDY and WebSocket and reaches runtimes through core's ports only",
  },
  {
    dir: "packages/node-support/src",
    allowed: (s: string) => isRelative(s) || isNode(s),
    why: "node-support is a leaf: node built-ins only",
  },
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

describe("layering", () => {
  for (const rule of RULES) {
    test(`${rule.dir}: ${rule.why}`, () => {
      const violations: string[] = [];
      for (const file of sources(join(ROOT, rule.dir))) {
        for (const spec of importsOf(file)) if (!rule.allowed(spec)) violations.push(`${relative(ROOT, file)} imports ${spec}`);
      }
      expect(violations).toEqual([]);
    });
  }

  test("core declares no runtime dependencies", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "packages/core/package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  test("core uses no require() or dynamic import() to get around the rule", () => {
    const offenders = sources(join(ROOT, "packages/core/src")).filter((f) => /\brequire\s*\(|\bimport\s*\(/.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  test("the rule catches what it should", () => {
    const core = RULES[0] as Rule;
    for (const bad of [
      "@grpc/grpc-js",
      "node:child_process",
      "child_process",
      "@rktlet/adapters-rkt",
      "@rktlet/cri-api",
      "zod",
      ...NODE_BUILTINS_FORBIDDEN_IN_CORE,
    ]) {
      expect(core.allowed(bad)).toBe(false);
    }
    const rkt = RULES[1] as Rule;
    expect(rkt.allowed("@rktlet/cri-server")).toBe(false);
    expect(rkt.allowed("@grpc/grpc-js")).toBe(false);
    expect(rkt.allowed("@rktlet/core")).toBe(true);
  });
});
