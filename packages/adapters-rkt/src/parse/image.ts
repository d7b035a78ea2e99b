import { int64, isObject, parseJsonExact, str } from "./json";

/** An image of rkt's store (`rkt image list --full --format=json`). Times in nanoseconds. */
export interface RktImage {
  readonly id: string;
  readonly name: string;
  readonly importTime: bigint | undefined;
  readonly size: bigint;
}

export function parseImageList(stdout: string): RktImage[] {
  const text = stdout.trim();
  if (text === "" || text === "null") return [];
  const { value, ints } = parseJsonExact(text);
  if (!Array.isArray(value)) throw new Error("rkt image list: expected a JSON array");
  return value.filter(isObject).map((o) => ({
    id: str(o, "id"),
    name: str(o, "name"),
    importTime: int64(o, "import_time", ints),
    size: int64(o, "size", ints) ?? 0n,
  }));
}

/** What rktlet reads from an image manifest (`rkt image cat-manifest`). */
export interface ImageManifestInfo {
  readonly name: string;
  /** The docker name the image was fetched as (docker2aci's `appc.io/docker/originalname`). */
  readonly originalName: string;
  /** The registry's manifest digest (`appc.io/docker/manifesthash`), shared by every tag of one docker image. */
  readonly manifestHash: string;
  readonly user: string;
  readonly labels: Readonly<Record<string, string>>;
}

export function parseManifest(stdout: string): ImageManifestInfo {
  const m: unknown = JSON.parse(stdout);
  if (!isObject(m)) throw new Error("cat-manifest: expected a JSON object");
  const annotations = new Map<string, string>();
  for (const a of Array.isArray(m.annotations) ? m.annotations.filter(isObject) : []) annotations.set(str(a, "name"), str(a, "value"));
  const labels: Record<string, string> = {};
  for (const l of Array.isArray(m.labels) ? m.labels.filter(isObject) : []) labels[str(l, "name")] = str(l, "value");
  const app = isObject(m.app) ? m.app : {};
  return {
    name: str(m, "name"),
    originalName: annotations.get("appc.io/docker/originalname") ?? "",
    manifestHash: annotations.get("appc.io/docker/manifesthash") ?? "",
    user: str(app, "user"),
    labels,
  };
}

/** `rkt image fetch` prints the image id as its last stdout line (progress goes to stderr). */
export function parseFetchOutput(stdout: string): string {
  const lines = stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const id = lines[lines.length - 1] ?? "";
  if (!/^sha512-[0-9a-f]{32,128}$/.test(id))
    throw new Error(`rkt image fetch: no image id in its output (${JSON.stringify(stdout.slice(-200))})`);
  return id;
}
