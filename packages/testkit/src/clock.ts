import type { Clock } from "@rktlet/core";

/** A clock that only moves when told, for tests of timestamps and expiry. */
export class ManualClock implements Clock {
  constructor(private current: bigint = 1_700_000_000_000_000_000n) {}

  now(): bigint {
    return this.current;
  }

  advance(ns: bigint): void {
    this.current += ns;
  }

  advanceSeconds(s: number): void {
    this.current += BigInt(Math.round(s * 1e9));
  }
}
