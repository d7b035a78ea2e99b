import type { Nanos } from "../model/common";

export interface Clock {
  now(): Nanos;
}

/** Wall-clock time with sub-millisecond resolution, as nanoseconds since the epoch. */
export const systemClock: Clock = {
  now(): Nanos {
    const ms = performance.timeOrigin + performance.now();
    return BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.floor((ms % 1) * 1e6));
  },
};
