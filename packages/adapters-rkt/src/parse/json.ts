/** Small readers for rkt's JSON, which omits empty fields: each returns a default instead of throwing. */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const str = (o: Json, k: string): string => (typeof o[k] === "string" ? (o[k] as string) : "");
export const num = (o: Json, k: string): number | undefined => (typeof o[k] === "number" ? (o[k] as number) : undefined);

/** An int64 field as bigint, read from the JSON text rather than a double so nanoseconds stay exact. */
export function int64(o: Json, k: string, raw: ReadonlyMap<string, bigint> | undefined): bigint | undefined {
  const v = o[k];
  if (typeof v !== "number") return undefined;
  return raw?.get(`${k}:${v}`) ?? BigInt(Math.round(v));
}

export function stringMap(o: Json, k: string): Record<string, string> {
  const v = o[k];
  if (!isObject(v)) return {};
  const out: Record<string, string> = {};
  for (const [key, val] of Object.entries(v)) if (typeof val === "string") out[key] = val;
  return out;
}

/**
 * JSON.parse loses precision on nanosecond timestamps (> 2^53). This parses and also collects every
 * integer literal of the text keyed by `<field>:<parsed double>`, so int64() can recover exact values.
 */
export function parseJsonExact(text: string): { value: unknown; ints: Map<string, bigint> } {
  const value: unknown = JSON.parse(text);
  const ints = new Map<string, bigint>();
  for (const m of text.matchAll(/"([A-Za-z_]+)":(-?\d{16,})/g)) {
    const [, key, digits] = m;
    if (key && digits) ints.set(`${key}:${Number(digits)}`, BigInt(digits));
  }
  return { value, ints };
}
