import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { KeyedLock } from "@rktlet/core";
import { removeAbandonedTempFiles, writeJsonAtomic } from "@rktlet/node-support";
import type { StoredResources } from "../resources";

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
  /** Removed through the CRI while its pod had stopped (rkt cannot remove apps then; the pod's removal will). */
  readonly removed?: boolean;
  /** The resources asked for at creation, or by the latest UpdateContainerResources. */
  readonly resources?: StoredResources;
}

/** A container id as a file name (ids hold `:`, which some tools mishandle in paths). */
export const stateFileName = (id: string) => `${id.replace(/:/g, "_")}.json`;

/** Container records, cached in memory after one read of the directory at start-up. */
export class ContainerRecords {
  private readonly cache = new Map<string, ContainerRecord>();
  /** Writes of one record in order, each merged with the latest: two updates never lose each other's fields. */
  private readonly locks = new KeyedLock();
  private loaded = false;

  constructor(private readonly dir: string) {}

  async load(): Promise<void> {
    if (this.loaded) return;
    await removeAbandonedTempFiles(this.dir);
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
    await this.locks.run(record.id, async () => {
      this.cache.set(record.id, record);
      await writeJsonAtomic(join(this.dir, stateFileName(record.id)), record);
    });
  }

  async update(id: string, change: Partial<ContainerRecord>): Promise<ContainerRecord | undefined> {
    return this.locks.run(id, async () => {
      const current = this.cache.get(id);
      if (!current) return undefined;
      const next = { ...current, ...change };
      this.cache.set(id, next);
      await writeJsonAtomic(join(this.dir, stateFileName(id)), next);
      return next;
    });
  }

  async delete(id: string): Promise<void> {
    await this.locks.run(id, async () => {
      this.cache.delete(id);
      await rm(join(this.dir, stateFileName(id)), { force: true });
    });
  }
}
