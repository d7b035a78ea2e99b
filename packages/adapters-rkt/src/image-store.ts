import type { Dirent } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type AuthConfig, ErrorKind, type FilesystemUsage, type Image, type ImageStore, invalidArgument, RktletError } from "@rktlet/core";
import { ensureOk, rktError } from "./cli/errors";
import { canonicalName, fetchName, isRktImageId, parseDockerRef } from "./commands/image-names";
import { paths, type RktContext } from "./context";
import { type ImageManifestInfo, parseFetchOutput, parseImageList, parseManifest, type RktImage } from "./parse/image";

/** Images whose rkt name starts with this are stage1 images: rktlet needs them, so they are pinned. */
const STAGE1_PREFIX = "coreos.com/rkt/stage1";

/** How long a `rkt image list` answer serves ListImages and ImageStatus (rktlet's own pulls and removes refresh it). */
const IMAGE_LIST_MAX_AGE_MS = 5000;

/**
 * Registry credentials as rkt reads them: a docker auth file in `<user-config>/auth.d/`. It lives in a
 * private directory that exists only for the duration of one fetch.
 */
function dockerAuthFile(registry: string, auth: AuthConfig): string {
  let user = auth.username;
  let password = auth.password;
  if (!user && auth.auth) {
    const decoded = Buffer.from(auth.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      user = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  if (!user)
    throw invalidArgument(
      "auth",
      "rkt accepts registry credentials as a username and password (or `auth`); tokens alone are not supported",
    );
  const registries = [...new Set([auth.serverAddress.replace(/^https?:\/\//, "").replace(/\/.*$/, ""), registry].filter(Boolean))];
  if (registry === "docker.io") registries.push("index.docker.io", "registry-1.docker.io");
  return JSON.stringify({ rktKind: "dockerAuth", rktVersion: "v1", registries, credentials: { user, password } });
}

/** One CRI image: every rkt image fetched from the same docker manifest (rkt ids depend on the name). */
interface ImageGroup {
  readonly image: Image;
  readonly rktIds: readonly string[];
}

/** ImageService over rkt's image store. */
export class RktImageStore implements ImageStore {
  private readonly manifests = new Map<string, ImageManifestInfo>();
  private cache: { at: number; groups: ImageGroup[] } | undefined;
  /** A refresh under way, shared by every caller that needs one meanwhile. */
  private loading: Promise<ImageGroup[]> | undefined;
  private usage: { at: number; inodes: bigint } | undefined;

  constructor(private readonly ctx: RktContext) {}

  async pull(ref: string, auth: AuthConfig | undefined): Promise<string> {
    const name = fetchName(ref);
    let authDir: string | undefined;
    try {
      const extraGlobalFlags: string[] = [];
      if (auth) {
        const dir = paths(this.ctx.config.stateDir).auth;
        await mkdir(dir, { recursive: true, mode: 0o700 });
        authDir = await mkdtemp(join(dir, "pull-"));
        await mkdir(join(authDir, "auth.d"), { mode: 0o700 });
        await writeFile(join(authDir, "auth.d", "pull.json"), dockerAuthFile(parseDockerRef(ref).registry, auth), { mode: 0o600 });
        extraGlobalFlags.push(`--user-config=${authDir}`);
      }
      const r = await this.ctx.runner.run("image", ["fetch", "--pull-policy=update", "--full=true", name], { extraGlobalFlags });
      const rktId = parseFetchOutput(ensureOk(r, `pulling image ${ref}`).stdout);
      this.invalidate();
      const group = (await this.groups()).find((g) => g.rktIds.includes(rktId));
      return group?.image.id ?? rktId;
    } finally {
      if (authDir) await rm(authDir, { recursive: true, force: true });
    }
  }

  async list(): Promise<readonly Image[]> {
    return (await this.groups()).map((g) => g.image);
  }

  async find(ref: string): Promise<Image | undefined> {
    const groups = await this.groups();
    if (isRktImageId(ref)) {
      return groups.find((g) => g.rktIds.some((id) => id === ref || (ref.length >= 19 && id.startsWith(ref))))?.image;
    }
    const wanted = canonicalName(parseDockerRef(ref));
    return groups.find((g) => g.image.repoTags.includes(wanted) || g.image.repoDigests.includes(wanted))?.image;
  }

  async remove(id: string): Promise<void> {
    const group = (await this.groups()).find((g) => g.image.id === id);
    for (const rktId of group?.rktIds ?? [id]) {
      const r = await this.ctx.runner.run("image", ["rm", rktId]);
      if (r.exitCode !== 0 && !/no image IDs found/.test(r.stderr)) throw rktError(r, `removing image ${id}`);
    }
    this.invalidate();
  }

  async fsInfo(): Promise<readonly FilesystemUsage[]> {
    const groups = await this.groups();
    let used = 0n;
    for (const g of groups) used += g.image.size;
    return [{ timestamp: this.ctx.clock.now(), mountpoint: this.ctx.config.dataDir, usedBytes: used, inodesUsed: await this.inodes() }];
  }

  /** Forgets the cached list, and any refresh that started before now. */
  invalidate(): void {
    this.cache = undefined;
    this.loading = undefined;
  }

  /** Stage1 images present in rkt's store. */
  async stage1Images(): Promise<RktImage[]> {
    return (await this.rktImages()).filter((i) => i.name.startsWith(STAGE1_PREFIX));
  }

  async hasImageNamed(name: string): Promise<boolean> {
    return (await this.rktImages()).some((i) => i.name === name || i.id === name);
  }

  /** Fetches the stage1 image at start-up when it is not in the store yet. */
  async ensureStage1(name: string): Promise<void> {
    if (!name || (await this.hasImageNamed(name))) return;
    const r = await this.ctx.runner.run("image", ["fetch", "--pull-policy=new", "--full=true", name]);
    ensureOk(r, `fetching stage1 image ${name}`);
    this.invalidate();
  }

  private async rktImages(): Promise<RktImage[]> {
    const r = await this.ctx.runner.run("image", ["list", "--full", "--format=json", "--sort=importtime"]);
    return parseImageList(ensureOk(r, "listing images").stdout);
  }

  private async manifest(id: string): Promise<ImageManifestInfo> {
    const known = this.manifests.get(id);
    if (known) return known;
    // Manifests never change for an id: one cat-manifest per image, ever (per daemon run).
    const r = await this.ctx.runner.run("image", ["cat-manifest", id]);
    const info = parseManifest(ensureOk(r, `reading the manifest of image ${id}`).stdout);
    this.manifests.set(id, info);
    return info;
  }

  private async groups(): Promise<ImageGroup[]> {
    if (this.cache && Date.now() - this.cache.at < IMAGE_LIST_MAX_AGE_MS) return this.cache.groups;
    if (!this.loading) this.loading = this.loadGroups().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async loadGroups(): Promise<ImageGroup[]> {
    const images = await this.rktImages();
    const byKey = new Map<string, { members: { img: RktImage; info: ImageManifestInfo }[] }>();
    for (const img of images) {
      let info: ImageManifestInfo;
      try {
        info = await this.manifest(img.id);
      } catch (err) {
        if (RktletError.is(err, ErrorKind.NotFound)) continue; // removed meanwhile
        throw err;
      }
      const key = info.manifestHash || img.id;
      const entry = byKey.get(key) ?? { members: [] };
      entry.members.push({ img, info });
      byKey.set(key, entry);
    }
    for (const id of this.manifests.keys()) if (!images.some((i) => i.id === id)) this.manifests.delete(id);
    const groups: ImageGroup[] = [];
    for (const { members } of byKey.values()) {
      const first = members[0];
      if (!first) continue;
      const tags = new Set<string>();
      const digests = new Set<string>();
      for (const { img, info } of members) {
        if (info.originalName) {
          const ref = parseDockerRef(info.originalName);
          tags.add(canonicalName({ ...ref, digest: "" }));
          if (info.manifestHash) digests.add(`${ref.registry}/${ref.repository}@${info.manifestHash}`);
        } else tags.add(img.name);
      }
      const user = first.info.user;
      const numeric = /^\d+$/.test(user);
      groups.push({
        rktIds: members.map((m) => m.img.id),
        image: {
          id: first.img.id,
          repoTags: [...tags],
          repoDigests: [...digests],
          size: first.img.size,
          uid: numeric ? BigInt(user) : undefined,
          username: numeric ? "" : user,
          pinned: first.img.name.startsWith(STAGE1_PREFIX),
          annotations: {},
        },
      });
    }
    this.cache = { at: Date.now(), groups };
    return groups;
  }

  /** Files in rkt's image store, counted at most once a minute (a directory walk, no process). */
  private async inodes(): Promise<bigint> {
    if (this.usage && Date.now() - this.usage.at < 60_000) return this.usage.inodes;
    let count = 0n;
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        count++;
        if (e.isDirectory()) await walk(join(dir, e.name));
      }
    };
    await walk(join(this.ctx.config.dataDir, "cas"));
    this.usage = { at: Date.now(), inodes: count };
    return count;
  }
}
