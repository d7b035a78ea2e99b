import * as loader from "@grpc/proto-loader";
import fc from "fast-check";

/**
 * Request generators for the CRI fuzz test, built from the reference proto's descriptors alone, and a
 * small protobuf wire encoder. The encoder is our own so that what a well-behaved client library would
 * refuse or normalise (unknown enum numbers, out-of-range integers, invalid UTF-8, `__proto__` map keys)
 * really reaches the daemon.
 */

// ---------------------------------------------------------------------------------------------------
// Schema: the reference proto's messages, as proto-loader's descriptors describe them

type Scalar =
  | "double"
  | "float"
  | "int64"
  | "uint64"
  | "int32"
  | "fixed64"
  | "fixed32"
  | "bool"
  | "string"
  | "bytes"
  | "uint32"
  | "sfixed32"
  | "sfixed64"
  | "sint32"
  | "sint64";

export interface FieldInfo {
  readonly name: string;
  readonly number: number;
  readonly kind: Scalar | "message" | "enum";
  readonly repeated: boolean;
  /** For map fields: the entry's key and value fields. */
  readonly map?: { readonly key: FieldInfo; readonly value: FieldInfo };
  /** For message fields (resolved lazily: CRI messages do not recurse, but nothing here relies on it). */
  readonly message?: () => MessageInfo;
  readonly enumValues?: readonly number[];
}

export interface MessageInfo {
  readonly name: string;
  readonly fields: readonly FieldInfo[];
}

export interface RpcInfo {
  readonly service: "RuntimeService" | "ImageService";
  readonly name: string;
  /** The full gRPC method path. */
  readonly path: string;
  readonly request: MessageInfo;
  readonly serverStreaming: boolean;
  /** Decodes a response with the reference proto (throws if it does not decode). */
  readonly decodeResponse: (buf: Buffer) => unknown;
}

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}
interface DescriptorProto {
  name: string;
  field: FieldDescriptor[];
  nestedType: DescriptorProto[];
  enumType: (EnumDescriptorProto & { name: string })[];
  options: { mapEntry?: boolean } | null;
}
interface EnumDescriptorProto {
  value: { number: number }[];
}

const PACKAGE = "runtime.v1";

/** Loads the reference proto and describes every RPC of both services. */
export function loadSchema(protoPath: string): { rpcs: RpcInfo[] } {
  const def = loader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: false, bytes: Buffer });
  const cache = new Map<string, MessageInfo>();
  const descriptorOf = (name: string) => (def[`${PACKAGE}.${name}`] as { type: unknown } | undefined)?.type;

  function message(name: string, desc = descriptorOf(name) as DescriptorProto | undefined): MessageInfo {
    const cached = cache.get(name);
    if (cached) return cached;
    if (!desc) throw new Error(`message ${name} not in the reference proto`);
    const fields: FieldInfo[] = [];
    const info: MessageInfo = { name, fields };
    cache.set(name, info);
    for (const f of desc.field) fields.push(field(f, desc, name));
    return info;
  }

  function field(f: FieldDescriptor, parent: DescriptorProto, parentName: string): FieldInfo {
    const kind = f.type.replace(/^TYPE_/, "").toLowerCase();
    const repeated = f.label === "LABEL_REPEATED";
    const typeName = f.typeName.replace(/^\./, "").replace(`${PACKAGE}.`, "");
    if (kind === "message") {
      const nested = parent.nestedType.find((n) => n.name === typeName);
      if (nested?.options?.mapEntry) {
        const entry = message(`${parentName}.${typeName}`, nested);
        const [key, value] = entry.fields;
        if (!key || !value) throw new Error(`map entry ${typeName} without key or value`);
        return { name: f.name, number: f.number, kind: "message", repeated: false, map: { key, value } };
      }
      const resolve = nested ? () => message(`${parentName}.${typeName}`, nested) : () => message(typeName);
      return { name: f.name, number: f.number, kind: "message", repeated, message: resolve };
    }
    if (kind === "enum") {
      const e =
        parent.enumType.find((n) => n.name === typeName) ??
        (def[`${PACKAGE}.${typeName}`] as { type: EnumDescriptorProto } | undefined)?.type;
      if (!e) throw new Error(`enum ${typeName} not in the reference proto`);
      return { name: f.name, number: f.number, kind: "enum", repeated, enumValues: e.value.map((v) => v.number) };
    }
    return { name: f.name, number: f.number, kind: kind as Scalar, repeated };
  }

  const rpcs: RpcInfo[] = [];
  for (const service of ["RuntimeService", "ImageService"] as const) {
    const methods = def[`${PACKAGE}.${service}`] as unknown as Record<
      string,
      { path: string; responseStream: boolean; requestType: { type: DescriptorProto }; responseDeserialize: (b: Buffer) => unknown }
    >;
    for (const [name, m] of Object.entries(methods)) {
      rpcs.push({
        service,
        name,
        path: m.path,
        request: message(m.requestType.type.name),
        serverStreaming: m.responseStream,
        decodeResponse: m.responseDeserialize,
      });
    }
  }
  return { rpcs };
}

// ---------------------------------------------------------------------------------------------------
// Wire encoding

/**
 * A request as the fuzzer builds it: field name → value. Maps are lists of [key, value] pairs (so any key,
 * `__proto__` included, survives); 64-bit integers are bigints; a Uint8Array in a string field is sent as
 * raw bytes (invalid UTF-8 on purpose).
 */
export type Msg = { [field: string]: unknown };

class Writer {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v > 0n ? byte | 0x80 : byte);
    } while (v > 0n);
    this.push(Uint8Array.from(out));
  }

  tag(number: number, wireType: number): void {
    this.varint((BigInt(number) << 3n) | BigInt(wireType));
  }

  delimited(number: number, bytes: Uint8Array): void {
    this.tag(number, 2);
    this.varint(BigInt(bytes.length));
    this.push(bytes);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const utf8 = new TextEncoder();

function toBigInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(Math.trunc(v));
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

/** Wire type and payload of one scalar (or enum) value; fixed-width kinds are little-endian. */
function scalarBytes(kind: FieldInfo["kind"], v: unknown): { wire: number; bytes: Uint8Array } {
  const w = new Writer();
  switch (kind) {
    case "string":
      return { wire: 2, bytes: v instanceof Uint8Array ? v : utf8.encode(String(v)) };
    case "bytes":
      return { wire: 2, bytes: v instanceof Uint8Array ? v : utf8.encode(String(v)) };
    case "double": {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, Number(v), true);
      return { wire: 1, bytes: new Uint8Array(b.buffer) };
    }
    case "float": {
      const b = new DataView(new ArrayBuffer(4));
      b.setFloat32(0, Number(v), true);
      return { wire: 5, bytes: new Uint8Array(b.buffer) };
    }
    case "fixed64":
    case "sfixed64": {
      const b = new DataView(new ArrayBuffer(8));
      b.setBigUint64(0, BigInt.asUintN(64, toBigInt(v)), true);
      return { wire: 1, bytes: new Uint8Array(b.buffer) };
    }
    case "fixed32":
    case "sfixed32": {
      const b = new DataView(new ArrayBuffer(4));
      b.setUint32(0, Number(BigInt.asUintN(32, toBigInt(v))), true);
      return { wire: 5, bytes: new Uint8Array(b.buffer) };
    }
    case "sint32":
    case "sint64": {
      const n = toBigInt(v);
      w.varint(n >= 0n ? n << 1n : (-n << 1n) - 1n);
      return { wire: 0, bytes: w.finish() };
    }
    case "uint32":
      w.varint(BigInt.asUintN(32, toBigInt(v)));
      return { wire: 0, bytes: w.finish() };
    case "message":
      throw new Error("not a scalar");
    default:
      // int32, int64, uint64, bool, enum: plain varints (negative int32s take ten bytes, as they must)
      w.varint(toBigInt(v));
      return { wire: 0, bytes: w.finish() };
  }
}

function writeValue(w: Writer, f: FieldInfo, v: unknown): void {
  if (f.kind === "message") {
    w.delimited(f.number, encodeMessage(f.message?.() as MessageInfo, (v ?? {}) as Msg));
    return;
  }
  const { wire, bytes } = scalarBytes(f.kind, v);
  if (wire === 2) w.delimited(f.number, bytes);
  else {
    w.tag(f.number, wire);
    w.push(bytes);
  }
}

function mapEntries(v: unknown): [unknown, unknown][] {
  if (Array.isArray(v)) return v as [unknown, unknown][];
  if (v && typeof v === "object") return Object.entries(v);
  return [];
}

/** Encodes `msg` as `info`; unknown keys are ignored, undefined fields are not sent. */
export function encodeMessage(info: MessageInfo, msg: Msg): Uint8Array {
  const w = new Writer();
  for (const f of info.fields) {
    if (!Object.hasOwn(msg, f.name)) continue;
    const v = msg[f.name];
    if (v === undefined) continue;
    if (f.map) {
      for (const [k, val] of mapEntries(v)) {
        const e = new Writer();
        writeValue(e, f.map.key, k);
        writeValue(e, f.map.value, val);
        w.delimited(f.number, e.finish());
      }
    } else if (f.repeated) {
      const items = Array.isArray(v) ? v : [v];
      if (f.kind !== "message" && f.kind !== "string" && f.kind !== "bytes" && items.length > 0) {
        // proto3 packs repeated numbers; decoders must accept both forms
        const p = new Writer();
        for (const item of items) p.push(scalarBytes(f.kind, item).bytes);
        w.delimited(f.number, p.finish());
      } else for (const item of items) writeValue(w, f, item);
    } else writeValue(w, f, v);
  }
  return w.finish();
}

/**
 * One field at `path` (nested fields wrapped in their parents) to append to an encoded message: protobuf
 * merges concatenated messages, so this sets (or, for repeated fields, adds) just that field.
 */
export function encodeAt(info: MessageInfo, path: readonly string[], value: unknown): Uint8Array {
  const [head, ...rest] = path;
  const f = info.fields.find((x) => x.name === head);
  if (!f) throw new Error(`no field ${head} in ${info.name}`);
  if (rest.length === 0) return encodeMessage(info, { [f.name]: value });
  const inner = encodeAt(f.message?.() as MessageInfo, rest, value);
  const w = new Writer();
  w.delimited(f.number, inner);
  return w.finish();
}

/** Every path to a field of `info`, nested messages included, up to `depth` levels. */
export function fieldPaths(info: MessageInfo, depth = 4, prefix: readonly FieldInfo[] = []): FieldInfo[][] {
  const out: FieldInfo[][] = [];
  for (const f of info.fields) {
    const path = [...prefix, f];
    out.push(path);
    if (f.kind === "message" && f.message && !f.map && depth > 1) out.push(...fieldPaths(f.message(), depth - 1, path));
  }
  return out;
}

/** Does `field` (as a daemon names it: `config.mounts[0].host_path`, `config.labels["k"]`) exist in `info`? */
export function fieldExists(info: MessageInfo, field: string): boolean {
  let current: MessageInfo | undefined = info;
  const parts = field
    .replace(/\["(?:[^"\\]|\\.)*"\]/g, "")
    .replace(/\[\d+\]/g, "")
    .split(".");
  for (const part of parts) {
    const f: FieldInfo | undefined = current?.fields.find((x) => x.name === part);
    if (!f) return false;
    current = f.message?.();
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Values

/** What the nasty values aim at: the canary and the ids and paths of the live objects. */
export interface FuzzTargets {
  /** A directory nothing may touch. */
  readonly canary: string;
  /** The daemon's --pod-log-root. */
  readonly logRoot: string;
  /** The live pod's log directory. */
  readonly podLogDir: string;
  /** Where mounts may point (host paths are created on demand, as kubelet expects). */
  readonly hostPaths: string;
  /** A name used only in paths that must never be created, e.g. `/tmp/<marker>`. */
  readonly marker: string;
  readonly livePodId: () => string;
  readonly liveContainerId: () => string;
  readonly image: string;
}

const SHELL = [";", "|", "&", "$", "(", ")", "`", "\n", "'", '"', "*", "?", "<", ">", "\\", "~", "#", "{", "}", "!", " ", "\t", "\r"];
const MB = "x".repeat(1024 * 1024);
/** Strings around Linux's 128 KiB limit for one command-line argument, counted in characters or in bytes. */
export const BIG_STRINGS = [MB, "\u00e9".repeat(70_000), "a".repeat(130_000), "\ud83d\ude00".repeat(40_000)];
const UUID = "0f6a3a4e-7d2c-4c55-9b1a-1d5e8f2b3c4d";

/** Strings no field should mind, and strings that break naive code. */
function nastyStrings(t: FuzzTargets): string[] {
  const pwned = `${t.canary}/pwned`;
  return [
    "",
    " ",
    ".",
    "..",
    "/",
    "-",
    "--",
    "---",
    "--help",
    "-rf",
    "=",
    "a=b",
    "a,b",
    "a:b",
    "\0",
    "a\0b",
    "%s%n%x",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style placeholder, sent as it is
    "${PATH}$HOME",
    "\u202e\ufeff",
    "\ud800",
    ...BIG_STRINGS,
    "a".repeat(253),
    "a".repeat(254),
    "a".repeat(257),
    "a".repeat(4097),
    "9".repeat(30),
    "__proto__",
    "constructor",
    "k8s.io/reserved/pod-uid",
    "rkt.alpha.kubernetes.io/stage1-name-override",
    `;touch ${pwned}`,
    `$(touch ${pwned})`,
    `\`touch ${pwned}\``,
    `|tee ${pwned}`,
    `&& echo x > ${pwned}`,
    `'\n"touch ${pwned}`,
    `x\ntouch ${pwned}`,
    SHELL.join(""),
    ...SHELL,
  ];
}

/**
 * Paths aimed at the canary or outside every directory the daemon owns: `traversal` climbs out through
 * `..` (never acceptable); `absolute` names such a place directly, which only a mount's host path may.
 */
function escapingPaths(t: FuzzTargets): { traversal: string[]; absolute: string[] } {
  const up = (n: number) => "../".repeat(n);
  return {
    traversal: [
      `${t.logRoot}/../canary/x`,
      `${t.podLogDir}/../../canary/x`,
      `${t.podLogDir}/x/../../../canary`,
      `${t.hostPaths}/../canary/x`,
      `${up(1)}canary/x`,
      `${up(8)}${t.canary.slice(1)}/x`,
      "canary/x",
      `./${up(2)}canary`,
      "..",
      "x/..",
      `x/${up(3)}`,
      `${t.canary}/./x/../y`,
      `${t.canary}/x\0/y`,
      `${t.logRoot}/x\0/../../canary`,
      `/tmp/${t.marker}/../${t.marker}-2`,
    ],
    absolute: [`${t.canary}/x`, `${t.canary}`, `${t.canary}//x`, `/tmp/${t.marker}/x`, `/tmp/${t.marker}`, `/${t.marker}`],
  };
}

/** Ids: the live ones, well-formed unknown ones, and junk that looks like them. */
function idStrings(t: FuzzTargets): fc.Arbitrary<string> {
  const junk = [
    UUID,
    `${UUID}:0-app`,
    `${UUID}:`,
    `:0-app`,
    `${UUID}:../../canary`,
    `${UUID}:0-app;touch ${t.canary}/pwned`,
    `${UUID}:0-app\n`,
    UUID.toUpperCase(),
    `${UUID}\0`,
    `${UUID}/..`,
    `sha512-${"a".repeat(64)}`,
    `-${UUID}`,
    `--dir=${t.canary}`,
    "a".repeat(256),
    "a".repeat(257),
  ];
  return fc.oneof(
    fc.constantFrom(...junk),
    fc.constant(null).map(() => t.livePodId()),
    fc.constant(null).map(() => t.liveContainerId()),
    fc.constant(null).map(() => `${t.livePodId()}:0-nosuchapp`),
    fc.constant(null).map(() => `${t.livePodId()}:${t.liveContainerId().split(":")[1] ?? ""}${SHELL[0]}touch ${t.canary}/pwned`),
    fc.constantFrom(...SHELL).map((s) => `${UUID}${s}x`),
    fc.uuid().map((u) => u.toLowerCase()),
    fc.tuple(fc.uuid(), fc.string({ maxLength: 12 })).map(([u, s]) => `${u}:${s}`),
    fc.string({ maxLength: 40 }),
  );
}

function imageStrings(t: FuzzTargets): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      t.image,
      "busybox",
      "docker.io/library/busybox:latest",
      `busybox@sha256:${"0".repeat(64)}`,
      "busybox:",
      "busybox@",
      ":tag",
      "a/b/c/d:e:f@g@h",
      "UPPER/Case:Tag",
      "localhost:99999/x",
      `file://${t.canary}/x.aci`,
      `docker://${t.canary}`,
      `--dir=${t.canary}`,
      "sha512-",
      `sha512-${"f".repeat(128)}`,
      "x".repeat(4097),
    ),
    fc.stringMatching(/^[a-z0-9][a-z0-9._/:@-]{0,40}$/),
  );
}

const PATH_FIELDS = new Set([
  "log_directory",
  "log_path",
  "host_path",
  "container_path",
  "working_dir",
  "location",
  "mountpoint",
  "seccomp_profile_path",
  "apparmor_profile",
  "localhost_ref",
  "cgroup_parent",
  "path",
]);

/** Strings chosen by what the field is: ids, paths, image references, or anything. */
export function stringFor(field: FieldInfo, t: FuzzTargets, parents: readonly string[] = []): fc.Arbitrary<string | Uint8Array> {
  const anything = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...nastyStrings(t)) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }) }, // raw, mostly invalid UTF-8
  );
  if (/(^|_)id$/.test(field.name)) return fc.oneof({ weight: 4, arbitrary: idStrings(t) }, { weight: 1, arbitrary: anything });
  if (field.name === "image" || field.name === "user_specified_image") return fc.oneof(imageStrings(t), anything);
  if (PATH_FIELDS.has(field.name)) {
    const { traversal, absolute } = escapingPaths(t);
    // a mount's host path may name any absolute directory (and have it created): only traversal is wrong there
    const mountHost = field.name === "host_path" && parents.at(-1) === "mounts";
    const aimed = mountHost ? traversal : [...traversal, ...absolute];
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...aimed) },
      { weight: 1, arbitrary: fc.constantFrom(`${t.hostPaths}/ok`, `${t.podLogDir}/ok.log`, "ok/0.log", "/", "/dev/null") },
      { weight: 2, arbitrary: anything },
    );
  }
  return anything;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function integerFor(kind: FieldInfo["kind"]): fc.Arbitrary<bigint> {
  const unsigned = kind === "uint32" || kind === "uint64" || kind === "fixed32" || kind === "fixed64";
  const wide = kind.endsWith("64");
  const min = unsigned ? 0n : wide ? INT64_MIN : -(2n ** 31n);
  const max = unsigned ? (wide ? 2n ** 64n - 1n : 2n ** 32n - 1n) : wide ? INT64_MAX : 2n ** 31n - 1n;
  const edges = [0n, 1n, -1n, 2n, 80n, 65535n, 65536n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n, INT64_MAX, INT64_MIN, max, min]
    .map((v) => (v < min || v > max ? BigInt.asUintN(wide ? 64 : 32, v) : v))
    .filter((v) => v >= min && v <= max);
  return fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: -100n < min ? min : -100n, max: 100_000n }), fc.bigInt({ min, max }));
}

function enumFor(f: FieldInfo): fc.Arbitrary<bigint> {
  const known = (f.enumValues ?? [0]).map(BigInt);
  return fc.oneof(
    fc.constantFrom(...known),
    fc.constantFrom(-1n, BigInt(Math.max(...(f.enumValues ?? [0]))) + 1n, 2n ** 31n - 1n, -(2n ** 31n)),
    fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n - 1n }),
  );
}

/** One value for a non-repeated, non-map field. */
export function scalarFor(f: FieldInfo, t: FuzzTargets, parents: readonly string[], depth: number): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case "string":
      return stringFor(f, t, parents);
    case "bytes":
      return fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(utf8.encode(`\0${t.canary}`)));
    case "bool":
      return fc.boolean();
    case "double":
    case "float":
      return fc.double();
    case "enum":
      return enumFor(f);
    case "message":
      return depth > 0 ? messageArb(f.message?.() as MessageInfo, t, depth - 1, [...parents, f.name]) : fc.constant({});
    default:
      return integerFor(f.kind);
  }
}

/** A map value: a few entries with chosen keys, or a huge one. */
export function mapFor(f: FieldInfo, t: FuzzTargets): fc.Arbitrary<[unknown, unknown][]> {
  const key = f.map?.key as FieldInfo;
  const value = f.map?.value as FieldInfo;
  const keys = fc.oneof(
    fc.constantFrom("a", "k8s.io/reserved/unit-name", "__proto__", "constructor", "hasOwnProperty", "a=b", "", "\0", "x".repeat(318)),
    stringFor(key, t),
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(fc.tuple(keys, stringFor(value, t)), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: 2000 }, (_, i) => [`k${i}`, "v"] as [unknown, unknown])) },
    { weight: 1, arbitrary: fc.constant([["big", MB]] as [unknown, unknown][]) },
    // each value is allowed, but together they are far more than a command line holds
    { weight: 1, arbitrary: fc.constant(Array.from({ length: 48 }, (_, i) => [`k${i}`, MB.slice(0, 60_000)] as [unknown, unknown])) },
  );
}

/** Any value for field `f`: repeated and map fields included. */
export function valueFor(f: FieldInfo, t: FuzzTargets, parents: readonly string[], depth: number): fc.Arbitrary<unknown> {
  if (f.map) return mapFor(f, t);
  const one = scalarFor(f, t, parents, depth);
  if (!f.repeated) return one;
  const huge =
    f.kind === "string"
      ? fc.constant(Array.from({ length: 20_000 }, () => "a"))
      : f.kind === "message"
        ? fc.constant(Array.from({ length: 5000 }, () => ({})))
        : fc.constant(Array.from({ length: 20_000 }, (_, i) => BigInt(i)));
  return fc.oneof({ weight: 8, arbitrary: fc.array(one, { maxLength: 3 }) }, { weight: 1, arbitrary: huge });
}

/** A message of `info` with any subset of its fields set, nested messages down to `depth`. */
export function messageArb(info: MessageInfo, t: FuzzTargets, depth = 3, parents: readonly string[] = []): fc.Arbitrary<Msg> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of info.fields) model[f.name] = valueFor(f, t, parents, depth);
  return fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Msg>;
}

/** Sets `value` at `path` in `msg` (a clone of a template), creating the messages on the way. */
export function setAt(msg: Msg, path: readonly FieldInfo[], value: unknown): void {
  let cur: Msg = msg;
  for (const f of path.slice(0, -1)) {
    if (f.repeated) {
      const list = Array.isArray(cur[f.name]) ? (cur[f.name] as Msg[]) : [];
      if (list.length === 0) list.push({});
      cur[f.name] = list;
      cur = list[0] as Msg;
    } else {
      const next = (cur[f.name] && typeof cur[f.name] === "object" ? cur[f.name] : {}) as Msg;
      cur[f.name] = next;
      cur = next;
    }
  }
  const last = path.at(-1) as FieldInfo;
  cur[last.name] = value;
}

/** Short, printable text of a request for failure reports (big values elided). */
export function describe(msg: unknown): string {
  const text = JSON.stringify(msg, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) return `bytes(${Buffer.from(v.subarray(0, 16)).toString("hex")}${v.length > 16 ? "…" : ""})`;
    if (typeof v === "string" && v.length > 120) return `${v.slice(0, 40)}…(${v.length} chars)`;
    if (Array.isArray(v) && v.length > 20) return [...v.slice(0, 3), `…(${v.length} items)`];
    return v;
  });
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** Fields whose text names something: ids, metadata names, paths and images. */
export function isNamingField(f: FieldInfo): boolean {
  return /(^|_)id$|^(name|namespace|uid|hostname|image)$/.test(f.name) || PATH_FIELDS.has(f.name);
}

/**
 * The hand-written nasty values the sweep sends to one field, each on its own: to fields that name
 * something (ids, names, paths, images) shell syntax with NUL, an argument over the kernel's 128 KiB limit
 * (in bytes, not characters), junk ids, paths aimed at the canary and `.`; to maps and lists more than a command
 * line holds, and `=` in a key. Other fields get none here: the generated cases cover them.
 */
export function sweepValues(path: readonly FieldInfo[], t: FuzzTargets): unknown[] {
  const f = path.at(-1) as FieldInfo;
  const parents = path.slice(0, -1).map((x) => x.name);
  if (f.map) return [Array.from({ length: 48 }, (_, i) => [`k${i}`, MB.slice(0, 60_000)]), [["a=b", "c"]]];
  if (f.repeated && f.kind === "string") return [Array.from({ length: 40 }, () => MB.slice(0, 100_000)), ["true", "\u00e9".repeat(70_000)]];
  if (f.kind !== "string" || f.repeated || !isNamingField(f)) return [];
  const shell = `$(touch ${t.canary}/pwned);\`touch ${t.canary}/pwned\`|x&&y\n'"*\0`;
  if (PATH_FIELDS.has(f.name)) {
    // paths are at most 4096 characters: the long value is for the other fields
    const out = [`${t.podLogDir}/../../canary/x`, "."]; // "." names the directory it is relative to
    if (!(f.name === "host_path" && parents.at(-1) === "mounts")) out.push(`${t.canary}/x`);
    return out;
  }
  return ["\u00e9".repeat(70_000), /(^|_)id$/.test(f.name) ? `${UUID}:0-app;touch ${t.canary}/pwned` : shell];
}
