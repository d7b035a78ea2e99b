import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "@rktlet/node-support";

/**
 * What rktlet knows of a container that rkt does not tell precisely: its own creation, start and finish
 * times (rkt's list reports the pod's times for every app), whether it was started (an added app shows
 * `running` in rkt's list), and where its logs go. Written atomically; a lost record is rebuilt from
 * `rkt app status` at start-up, so nothing here is the only copy of a fact.
 */
export interface ContainerRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** kubelet's CRI log file, absolute; empty when kubelet asked for none. */
  readonly criLogPath: string;
  /** rkt's raw (k8s-plain) log file, absolute. */
  readonly rawLogPath: string;
}

const fileName = (id: string) => `${id.replace(/:/g, "_")}.json`;

/** Container records, cached in memory after one read of the directory at start-up. */
export class ContainerRecords {
  private readonly cache = new Map<string, ContainerRecord>();
  private loaded = false;

  constructor(private readonly dir: string) {}

  async load(): Promise<void> {
    if (this.loaded) return;
    let files: string[] = [];
    try {
      files = (await readdir(this.dir)).filter((f) => f.endsWith(".json"));
    } catch {
      // no records yet
    }
    for (const f of files) {
      try {
        const r = JSON.parse(await readFile(join(this.dir, f), "utf8")) as ContainerRecord;
        this.cache.set(r.id, r);
      } catch {
        // a torn file cannot exist (atomic writes); an unreadable one is rebuilt like a missing one
      }
    }
    this.loaded = true;
  }

  get(id: string): ContainerRecord | undefined {
    return this.cache.get(id);
  }

  all(): ContainerRecord[] {
    return [...this.cache.values()];
  }

  async put(record: ContainerRecord): Promise<void> {
    await writeJsonAtomic(join(this.dir, fileName(record.id)), record);
    this.cache.set(record.id, record);
  }

  async update(id: string, change: Partial<ContainerRecord>): Promise<ContainerRecord | undefined> {
    const current = this.cache.get(id);
    if (!current) return undefined;
    const next = { ...current, ...change };
    await this.put(next);
    return next;
  }

  async delete(id: string): Promise<void> {
    this.cache.delete(id);
    await rm(join(this.dir, fileName(id)), { force: true });
  }
}
