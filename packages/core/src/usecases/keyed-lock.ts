/**
 * Serialises async work per key (a sandbox or container id) so that, e.g., a stop racing a remove of
 * the same pod runs one after the other, while different pods proceed in parallel.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  get size(): number {
    return this.tails.size;
  }
}

/** Names being created right now: a second creation of the same name fails fast instead of racing. */
export class NameReservations {
  private readonly held = new Set<string>();

  /** Reserves `key` or returns false if someone holds it; the caller must call the returned release. */
  tryReserve(key: string): (() => void) | undefined {
    if (this.held.has(key)) return undefined;
    this.held.add(key);
    return () => this.held.delete(key);
  }
}
