export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Latency figures from a list of samples in milliseconds (nearest-rank percentiles). */
export function percentiles(samples: readonly number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
  return {
    n: s.length,
    p50: round3(at(0.5)),
    p99: round3(at(0.99)),
    max: round3(s[s.length - 1] ?? Number.NaN),
    mean: round3(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export function median(samples: readonly number[]): number {
  return percentiles(samples).p50;
}

export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
