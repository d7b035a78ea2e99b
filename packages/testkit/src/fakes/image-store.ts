import { createHash } from "node:crypto";
import { type AuthConfig, type Clock, type FilesystemUsage, type Image, type ImageStore, notFound, systemClock } from "@rktlet/core";
import { Faults } from "./fault-injection";

/** Docker-style canonical name: `busybox` → `docker.io/library/busybox:latest`. */
export function canonicalImageName(ref: string): string {
  const [name, digest] = ref.split("@") as [string, string | undefined];
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  const hasRegistry = slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost");
  let full = hasRegistry ? name : `docker.io/${slash === -1 ? `library/${name}` : name}`;
  const lastPart = full.slice(full.lastIndexOf("/") + 1);
  if (!digest && !lastPart.includes(":")) full += ":latest";
  return digest ? `${full}@${digest}` : full;
}

export interface FakeImageStoreOptions {
  /** Images present from the start, by reference. */
  readonly preloaded?: readonly string[];
  readonly clock?: Clock;
}

/**
 * In-memory images. Pulls "succeed" for any name (unless a fault is injected or the name is in
 * `unpullable`) and record the credentials last used, so tests can check what a pull was given.
 */
export class FakeImageStore implements ImageStore {
  readonly faults = new Faults<"pull" | "list" | "find" | "remove" | "fsInfo">();
  readonly unpullable = new Set<string>();
  private readonly images = new Map<string, Image>();
  private readonly clock: Clock;
  lastAuth: AuthConfig | undefined;
  pulls = 0;

  constructor(options: FakeImageStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    for (const ref of options.preloaded ?? []) this.add(ref);
  }

  async pull(ref: string, auth: AuthConfig | undefined): Promise<string> {
    this.faults.check("pull");
    this.pulls++;
    this.lastAuth = auth;
    if (this.unpullable.has(ref)) throw notFound("image in registry", ref);
    return this.add(ref).id;
  }

  async list(): Promise<readonly Image[]> {
    this.faults.check("list");
    return [...this.images.values()];
  }

  async find(ref: string): Promise<Image | undefined> {
    this.faults.check("find");
    const byId = this.images.get(ref) ?? this.images.get(`sha256:${ref}`);
    if (byId) return byId;
    const canonical = canonicalImageName(ref);
    for (const image of this.images.values()) {
      if (image.repoTags.includes(canonical) || image.repoDigests.includes(canonical) || image.repoDigests.includes(ref)) return image;
      if (ref.length >= 12 && /^[0-9a-f]+$/.test(ref) && image.id.startsWith(`sha256:${ref}`)) return image;
    }
    return undefined;
  }

  async remove(id: string): Promise<void> {
    this.faults.check("remove");
    this.images.delete(id);
  }

  async fsInfo(): Promise<readonly FilesystemUsage[]> {
    this.faults.check("fsInfo");
    let used = 0n;
    for (const image of this.images.values()) used += image.size;
    return [
      { timestamp: this.clock.now(), mountpoint: "/var/lib/rktlet/data", usedBytes: used, inodesUsed: BigInt(this.images.size * 100) },
    ];
  }

  /** Adds (or returns) the image a reference names, without counting a pull. */
  add(ref: string): Image {
    const canonical = canonicalImageName(ref);
    const base = canonical.split("@")[0] ?? canonical;
    const repo = base.slice(0, base.lastIndexOf(":") > base.lastIndexOf("/") ? base.lastIndexOf(":") : base.length);
    const hash = createHash("sha256").update(base).digest("hex");
    const id = `sha256:${hash}`;
    const existing = this.images.get(id);
    if (existing) return existing;
    const image: Image = {
      id,
      repoTags: canonical.includes("@") ? [] : [canonical],
      repoDigests: [`${repo}@sha256:${createHash("sha256").update(`digest:${base}`).digest("hex")}`],
      size: 1_000_000n + BigInt(Number.parseInt(hash.slice(0, 4), 16)),
      uid: undefined,
      username: "",
      pinned: false,
      annotations: {},
    };
    this.images.set(id, image);
    return image;
  }
}
