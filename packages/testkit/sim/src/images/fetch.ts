/**
 * `rkt fetch` semantics: pull policies, docker registries (https unless `http` is insecure-allowed,
 * optional credentials), appc discovery, and ACI files. Successful fetches land in the image store.
 */

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import type { Globals } from "../cli/command";
import { CliError, fail } from "../errors";
import { findImageByName, getImage, type ImageRecord, putImage } from "../store/images";
import type { JsonObject } from "../util/json";
import { stderr } from "../util/out";
import { nowNs } from "../util/time";
import { appcManifest, dockerManifest, layerDigest, stage1Manifest } from "./manifest";
import { classifyImageString, imageIdFor, MALFORMED_APP_STRING, parseAppcName, parseDockerRef } from "./names";
import { dockerCredentials, Registry } from "./registry";

export type PullPolicy = "new" | "update" | "never";

const NOT_FOUND_TAIL =
  "either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled";
const STAGE1_SIZE = 166657283;

/** ioprogress's byte formatting: "%.3g <unit>" with decimal units. */
function byteUnits(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let size = n;
  let unit = units[0]!;
  for (let i = 1; i < units.length; i++) {
    if (size < 1000) break;
    size /= 1000;
    unit = units[i]!;
  }
  return `${Number(size.toPrecision(3))} ${unit}`;
}

function store(dir: string, id: string, name: string, version: string | undefined, manifest: JsonObject, size: number): void {
  const now = nowNs().toString();
  const prev = getImage(dir, id);
  const rec: ImageRecord = {
    id,
    name,
    manifest,
    importTime: prev?.importTime ?? now,
    lastUsedTime: now,
    size,
    ...(version ? { version } : {}),
  };
  putImage(dir, rec);
}

function fetchDocker(url: string, policy: PullPolicy, g: Globals, registry: Registry): string {
  const ref = parseDockerRef(url);
  if (!ref) throw fail("fetch", `invalid docker URL ${JSON.stringify(url)}`);
  if (!g.insecure.has("image"))
    throw fail("fetch", "signature verification for docker images is not supported (try --insecure-options=image)");
  const version = ref.tag ?? ref.digest;
  const stored = version !== undefined ? findImageByName(g.dir, ref.appcName, version) : undefined;
  if (stored && policy !== "update") return stored.id;
  if (policy === "never") throw fail("fetch", `unable to fetch docker image from URL ${JSON.stringify(url)}: ${NOT_FOUND_TAIL}`);
  // A reference without tag, or one the registry does not know, makes docker2aci fall back to API v1.
  const remote = version !== undefined ? registry.docker(ref) : undefined;
  if (!remote) throw fail("fetch", "attempted fallback to API v1 but not supported");
  if (remote.http && !g.insecure.has("http")) {
    throw fail("fetch", `Get "https://${ref.registry}/v2/": http: server gave HTTP response to HTTPS client`);
  }
  if (remote.auth) {
    const creds = dockerCredentials([g.systemConfig, g.localConfig, g.userConfig], ref.registry);
    if (!creds || creds.user !== remote.auth.user || creds.password !== remote.auth.password) {
      const scheme = remote.http ? "http" : "https";
      throw fail("fetch", `unexpected http code: 401, URL: ${scheme}://${ref.registry}/v2/${ref.repository}/manifests/${version}`);
    }
  }
  const layer = remote.layerSize ?? Math.round((remote.size ?? 3203584) / 2);
  stderr.line(`Downloading ${layerDigest(ref).slice(0, 18)} ${byteUnits(layer)} / ${byteUnits(layer)}`);
  const id = imageIdFor(`docker:${ref.key}`);
  store(g.dir, id, ref.appcName, version, dockerManifest(ref, remote), remote.size ?? 3203584);
  return id;
}

function fetchByName(s: string, policy: PullPolicy, g: Globals, registry: Registry): string {
  const parsed = parseAppcName(s);
  if (!parsed) throw fail("fetch", MALFORMED_APP_STRING);
  const stored = findImageByName(g.dir, parsed.name, parsed.version);
  if (stored && policy !== "update") return stored.id;
  if (policy === "never") throw fail("fetch", `unable to fetch image from image name ${JSON.stringify(s)}: ${NOT_FOUND_TAIL}`);
  const remote = registry.appc(parsed.name, parsed.version);
  if (!remote) throw fail("fetch", "discovery failed");
  const stage1 = remote.stage1 ?? parsed.name.includes("stage1");
  const manifest = stage1 ? stage1Manifest(parsed.name, parsed.version) : appcManifest(parsed.name, parsed.version, remote);
  const id = imageIdFor(`appc:${s}`);
  store(g.dir, id, parsed.name, parsed.version, manifest, remote.size ?? (stage1 ? STAGE1_SIZE : 1048576));
  return id;
}

/** The `manifest` entry of an ACI (a tar, possibly gzipped). */
function aciManifest(data: Buffer): JsonObject | undefined {
  const tar = data[0] === 0x1f && data[1] === 0x8b ? zlib.gunzipSync(data) : data;
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    if (name === "") return undefined;
    const size = Number.parseInt(header.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim() || "0", 8);
    if (name === "manifest" || name === "./manifest") {
      return JSON.parse(tar.subarray(off + 512, off + 512 + size).toString("utf8")) as JsonObject;
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

function fetchFile(file: string, g: Globals): string {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    throw fail("fetch", `unable to fetch image from URL ${JSON.stringify(`file://${file}`)}: ${(e as Error).message}`);
  }
  let manifest: JsonObject | undefined;
  try {
    manifest = aciManifest(data);
  } catch {
    manifest = undefined;
  }
  if (!manifest || typeof manifest.name !== "string") throw fail("fetch", `error reading ACI ${JSON.stringify(file)}: missing manifest`);
  const labels = Array.isArray(manifest.labels) ? (manifest.labels as JsonObject[]) : [];
  const version = labels.find((l) => l.name === "version")?.value;
  const id = imageIdFor(`file:${createHash("sha512").update(data).digest("hex")}`);
  store(g.dir, id, manifest.name, typeof version === "string" ? version : undefined, manifest, data.length);
  return id;
}

export function fetchImage(image: string, policy: PullPolicy, g: Globals, env: NodeJS.ProcessEnv): string {
  const registry = Registry.fromEnv(env);
  const kind = classifyImageString(image);
  switch (kind.kind) {
    case "docker":
      return fetchDocker(kind.url, policy, g, registry);
    case "file":
      return fetchFile(kind.path, g);
    case "name":
      return fetchByName(kind.name, policy, g, registry);
    case "id": {
      const rec = getImage(g.dir, kind.id);
      if (rec) return rec.id;
      throw fail("fetch", "no image IDs found");
    }
    case "https":
      throw fail("fetch", `unable to fetch image from URL ${JSON.stringify(kind.url)}: remote ACI URLs are not supported by rkt-sim`);
    case "error":
      throw new CliError([`fetch: ${kind.message}`]);
  }
}
