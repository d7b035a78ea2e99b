#!/usr/bin/env node
// Compares two .proto files at the wire level: package, options, every message (nested too), field
// name/number/type/label/type name/options, every enum value and every rpc signature (including
// streaming). Comments and layout are ignored. Prints one line per difference; exits 1 if any.
const { execFileSync } = require("node:child_process");
const { copyFileSync, mkdtempSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { basename, join, resolve } = require("node:path");

const root = resolve(__dirname, "..");
const buf = join(root, "node_modules", ".bin", "buf");

/** Builds one proto file with buf and returns its FileDescriptorProto as JSON. */
function describeProto(file) {
  const dir = mkdtempSync(join(tmpdir(), "proto-wire-"));
  try {
    // Build a copy in a directory of its own, so no surrounding buf.yaml or sibling file interferes.
    const copy = join(dir, basename(file));
    copyFileSync(file, copy);
    const out = join(dir, "image.json");
    execFileSync(buf, ["build", dir, "--exclude-source-info", "-o", out], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const image = JSON.parse(readFileSync(out, "utf8"));
    const fd = image.file.find((f) => basename(f.name) === basename(file));
    if (!fd) throw new Error(`buf produced no descriptor for ${file}`);
    return fd;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function byName(list = []) {
  return new Map(list.map((x) => [x.name, x]));
}

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function diffEnum(path, a, b, out) {
  const av = byName(a.value);
  const bv = byName(b.value);
  for (const [n, v] of av) {
    const w = bv.get(n);
    if (!w) out.push(`${path}.${n}: missing`);
    else if (v.number !== w.number) out.push(`${path}.${n}: number ${w.number} != ${v.number}`);
  }
  for (const n of bv.keys()) if (!av.has(n)) out.push(`${path}.${n}: extra`);
  if (
    !same(
      a.value?.map((v) => v.name),
      b.value?.map((v) => v.name),
    )
  )
    out.push(`${path}: value order differs`);
}

const FIELD_KEYS = ["number", "label", "type", "typeName", "extendee", "defaultValue", "oneofIndex", "options", "proto3Optional"];

function diffMessage(path, a, b, out) {
  const af = byName(a.field);
  const bf = byName(b.field);
  for (const [n, f] of af) {
    const g = bf.get(n);
    if (!g) {
      out.push(`${path}.${n}: missing field`);
      continue;
    }
    for (const k of FIELD_KEYS) if (!same(f[k], g[k])) out.push(`${path}.${n}: ${k} ${JSON.stringify(g[k])} != ${JSON.stringify(f[k])}`);
  }
  for (const n of bf.keys()) if (!af.has(n)) out.push(`${path}.${n}: extra field`);
  if (!same(a.options, b.options)) out.push(`${path}: message options differ`);
  if (!same(a.oneofDecl, b.oneofDecl)) out.push(`${path}: oneofs differ`);
  if (!same(a.reservedRange, b.reservedRange) || !same(a.reservedName, b.reservedName)) out.push(`${path}: reserved differs`);
  diffAll(`${path}.`, a.nestedType, b.nestedType, diffMessage, out);
  diffAll(`${path}.`, a.enumType, b.enumType, diffEnum, out);
}

function diffService(path, a, b, out) {
  const am = byName(a.method);
  const bm = byName(b.method);
  for (const [n, m] of am) {
    const o = bm.get(n);
    if (!o) out.push(`${path}.${n}: missing rpc`);
    else
      for (const k of ["inputType", "outputType", "clientStreaming", "serverStreaming", "options"])
        if (!same(m[k], o[k])) out.push(`${path}.${n}: ${k} ${JSON.stringify(o[k])} != ${JSON.stringify(m[k])}`);
  }
  for (const n of bm.keys()) if (!am.has(n)) out.push(`${path}.${n}: extra rpc`);
}

function diffAll(prefix, as = [], bs = [], fn, out) {
  const bm = byName(bs);
  for (const a of as) {
    const b = bm.get(a.name);
    if (!b) out.push(`${prefix}${a.name}: missing`);
    else fn(`${prefix}${a.name}`, a, b, out);
  }
  const am = byName(as);
  for (const b of bs) if (!am.has(b.name)) out.push(`${prefix}${b.name}: extra`);
}

/** Differences of `ours` against the reference descriptor, as readable lines. */
function wireDiff(reference, ours) {
  const out = [];
  for (const k of ["package", "syntax", "dependency", "options"])
    if (!same(reference[k], ours[k])) out.push(`file ${k}: ${JSON.stringify(ours[k])} != ${JSON.stringify(reference[k])}`);
  diffAll("", reference.messageType, ours.messageType, diffMessage, out);
  diffAll("", reference.enumType, ours.enumType, diffEnum, out);
  diffAll("", reference.service, ours.service, diffService, out);
  return out;
}

/** Counts of what was compared, so a report can show the check was not vacuous. */
function descriptorCounts(fd) {
  const c = { messages: 0, fields: 0, enums: 0, enumValues: 0, rpcs: 0 };
  const walk = (m) => {
    c.messages++;
    c.fields += m.field?.length ?? 0;
    for (const n of m.nestedType ?? []) walk(n);
    for (const e of m.enumType ?? []) countEnum(e);
  };
  const countEnum = (e) => {
    c.enums++;
    c.enumValues += e.value.length;
  };
  for (const m of fd.messageType ?? []) walk(m);
  for (const e of fd.enumType ?? []) countEnum(e);
  for (const s of fd.service ?? []) c.rpcs += s.method.length;
  return c;
}

module.exports = { describeProto, wireDiff, descriptorCounts };

if (require.main === module) {
  const ref = resolve(process.argv[2] ?? join(root, "..", "shared", "reference", "cri-api-v1.proto"));
  const ours = resolve(process.argv[3] ?? join(root, "proto", "runtime", "v1", "api.proto"));
  const a = describeProto(ref);
  const b = describeProto(ours);
  const diffs = wireDiff(a, b);
  for (const d of diffs) console.log(d);
  console.log(`compared ${JSON.stringify(descriptorCounts(a))}: ${diffs.length} difference(s)`);
  process.exit(diffs.length ? 1 : 0);
}
