/** The image store: one JSON record per image under cas/images, keyed by the rkt image id. */
import * as fs from "node:fs";
import * as path from "node:path";
import { isErrno, readJsonFile, writeFileAtomic } from "../util/fsx";
import type { JsonObject } from "../util/json";
import { imagesDir } from "./paths";

export interface ImageRecord {
  /** sha512-<128 hex> */
  id: string;
  /** appc image name (without version). */
  name: string;
  /** The `version` label, when the manifest has one. */
  version?: string;
  /** The ImageManifest, key order preserved (cat-manifest prints it). */
  manifest: JsonObject;
  /** Nanoseconds since the epoch, decimal strings. */
  importTime: string;
  lastUsedTime: string;
  size: number;
}

const ID_RE = /^sha512-[0-9a-f]{128}$/;

const file = (dir: string, id: string): string => path.join(imagesDir(dir), `${id}.json`);

export function listImages(dir: string): ImageRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(imagesDir(dir));
  } catch (e) {
    if (isErrno(e, "ENOENT")) return [];
    throw e;
  }
  const out: ImageRecord[] = [];
  for (const n of names) {
    const id = n.replace(/\.json$/, "");
    if (!ID_RE.test(id)) continue;
    const rec = readJsonFile<ImageRecord>(file(dir, id));
    if (rec) out.push(rec);
  }
  return out;
}

export function getImage(dir: string, id: string): ImageRecord | undefined {
  return ID_RE.test(id) ? readJsonFile<ImageRecord>(file(dir, id)) : undefined;
}

export function putImage(dir: string, rec: ImageRecord): void {
  fs.mkdirSync(imagesDir(dir), { recursive: true });
  writeFileAtomic(file(dir, rec.id), `${JSON.stringify(rec)}\n`);
}

export function removeImage(dir: string, id: string): boolean {
  try {
    fs.unlinkSync(file(dir, id));
    return true;
  } catch (e) {
    if (isErrno(e, "ENOENT")) return false;
    throw e;
  }
}

export function imageListName(rec: ImageRecord): string {
  return rec.version ? `${rec.name}:${rec.version}` : rec.name;
}

/** Images whose id starts with the given (possibly short) id. */
export function findImagesByIdPrefix(dir: string, prefix: string): ImageRecord[] {
  const p = prefix.toLowerCase();
  return listImages(dir).filter((r) => r.id.startsWith(p));
}

/** By appc name and optional version; without a version the most recently imported one wins. */
export function findImageByName(dir: string, name: string, version?: string): ImageRecord | undefined {
  const candidates = listImages(dir)
    .filter((r) => r.name === name && (version === undefined || r.version === version))
    .sort((a, b) => (BigInt(a.importTime) < BigInt(b.importTime) ? 1 : -1));
  return candidates[0];
}

export function touchImage(dir: string, id: string, nowNs: bigint): void {
  const rec = getImage(dir, id);
  if (!rec) return;
  rec.lastUsedTime = nowNs.toString();
  putImage(dir, rec);
}
