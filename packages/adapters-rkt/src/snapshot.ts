import { ensureOk } from "./cli/errors";
import type { RktRunner } from "./cli/runner";
import { parsePodList, type RktPod } from "./parse/pod";

/**
 * One `rkt list --format=json` serves every List and Status call: it carries every pod with its apps.
 * It is refreshed when rktlet changed something (invalidate) or when it is older than `maxAgeMs`;
 * concurrent readers share one refresh. A refresh that started before an invalidation is not used
 * as fresh afterwards, so a caller never reads state older than its own last change.
 */
export class RktSnapshot {
  private current: { pods: readonly RktPod[]; at: number; generation: number } | undefined;
  private inflight: { promise: Promise<readonly RktPod[]>; generation: number } | undefined;
  private generation = 0;
  private readonly listeners = new Set<(previous: readonly RktPod[] | undefined, next: readonly RktPod[]) => void>();
  /** Result of the last refresh attempt: whether rkt answered. */
  lastError: Error | undefined;

  constructor(
    private readonly runner: RktRunner,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async pods(): Promise<readonly RktPod[]> {
    const c = this.current;
    if (c && c.generation === this.generation && this.now() - c.at < this.maxAgeMs) return c.pods;
    return this.refresh();
  }

  /** Forces the next read to ask rkt again. Called after every mutation. */
  invalidate(): void {
    this.generation++;
  }

  /** Refreshes now (sharing a refresh already under way for the current generation). */
  refresh(): Promise<readonly RktPod[]> {
    if (this.inflight && this.inflight.generation === this.generation) return this.inflight.promise;
    const generation = this.generation;
    const promise = this.load(generation).finally(() => {
      if (this.inflight?.promise === promise) this.inflight = undefined;
    });
    this.inflight = { promise, generation };
    return promise;
  }

  /** Called with the previous and the new pod list after every successful refresh. */
  onRefresh(listener: (previous: readonly RktPod[] | undefined, next: readonly RktPod[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get ageMs(): number {
    return this.current ? this.now() - this.current.at : Number.POSITIVE_INFINITY;
  }

  private async load(generation: number): Promise<readonly RktPod[]> {
    const at = this.now();
    let pods: RktPod[];
    try {
      pods = parsePodList(ensureOk(await this.runner.run("list", ["--format=json"]), "listing pods").stdout);
      this.lastError = undefined;
    } catch (err) {
      this.lastError = err as Error;
      throw err;
    }
    const previous = this.current?.pods;
    if (!this.current || this.current.at <= at) this.current = { pods, at, generation };
    for (const l of this.listeners) l(previous, pods);
    return pods;
  }
}
