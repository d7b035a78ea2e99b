/**
 * JSON output the way Go's encoding/json writes it, so rkt's bytes can be matched exactly:
 * object keys keep insertion order (callers sort map-like objects themselves, as Go sorts map keys),
 * `<`, `>`, `&`, U+2028 and U+2029 are escaped, and bigint values print as plain integers
 * (nanosecond timestamps do not fit in a double).
 */
export type JsonValue = null | boolean | number | bigint | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue | undefined;
}

/** Escapes a string like Go's encoder with HTML escaping on (the default for json.Marshal). */
export function goQuoteJson(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += "\\ufffd";
    } else if (c >= 0xdc00 && c <= 0xdfff) out += "\\ufffd";
    else out += s[i]!;
  }
  return `${out}"`;
}

function scalar(v: JsonValue): string | undefined {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return goQuoteJson(v);
  return undefined;
}

function entries(o: JsonObject): [string, JsonValue][] {
  const out: [string, JsonValue][] = [];
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out.push([k, v]);
  return out;
}

/** json.Marshal */
export function toGoJson(v: JsonValue): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  if (Array.isArray(v)) return `[${(v as readonly JsonValue[]).map(toGoJson).join(",")}]`;
  const obj = entries(v as JsonObject);
  return `{${obj.map(([k, val]) => `${goQuoteJson(k)}:${toGoJson(val)}`).join(",")}}`;
}

/** json.MarshalIndent(v, "", indent) */
export function toGoJsonIndent(v: JsonValue, indent: string, depth = 0): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  const pad = indent.repeat(depth + 1);
  const end = indent.repeat(depth);
  if (Array.isArray(v)) {
    const arr = v as readonly JsonValue[];
    if (arr.length === 0) return "[]";
    return `[\n${arr.map((x) => pad + toGoJsonIndent(x, indent, depth + 1)).join(",\n")}\n${end}]`;
  }
  const obj = entries(v as JsonObject);
  if (obj.length === 0) return "{}";
  return `{\n${obj.map(([k, x]) => `${pad}${goQuoteJson(k)}: ${toGoJsonIndent(x, indent, depth + 1)}`).join(",\n")}\n${end}}`;
}

/** A copy of a string map with keys in Go's map order (sorted), or undefined when empty (omitempty). */
export function sortedMap(m: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (!m) return undefined;
  // Go compares keys as UTF-8 bytes.
  const keys = Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (keys.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = m[k]!;
  return out;
}
