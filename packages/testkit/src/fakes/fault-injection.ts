/**
 * Lets a test make the next call of a fake's method fail, to exercise error paths:
 * `fake.faults.failNext("run", new RktletError(...))`.
 */
export class Faults<M extends string> {
  private readonly pending = new Map<M, unknown[]>();

  failNext(method: M, error: unknown): void {
    const queue = this.pending.get(method) ?? [];
    queue.push(error);
    this.pending.set(method, queue);
  }

  /** Throws the queued error for `method`, if any. Fakes call this first thing. */
  check(method: M): void {
    const queue = this.pending.get(method);
    const error = queue?.shift();
    if (error !== undefined) throw error;
  }

  clear(): void {
    this.pending.clear();
  }
}
