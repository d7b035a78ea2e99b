/** Time as rkt shows it: nanosecond wall clock, Go's time layouts, Go durations, go-humanize's "x ago". */

// Date.now() has only millisecond resolution; anchor the monotonic hrtime to it once so timestamps carry
// nanosecond digits like Go's time.Now().
const anchor = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return anchor + process.hrtime.bigint();
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

function utcParts(ns: bigint): { d: Date; frac: string } {
  const ms = Number(ns / 1_000_000n);
  const nanos = Number(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  return { d: new Date(ms), frac: pad(nanos, 9) };
}

function dateTime(d: Date, sep: string): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Go's time.RFC3339Nano in UTC: the fraction loses its trailing zeros, and disappears when zero. */
export function rfc3339Nano(ns: bigint): string {
  const { d, frac } = utcParts(ns);
  const f = frac.replace(/0+$/, "");
  return `${dateTime(d, "T")}${f ? `.${f}` : ""}Z`;
}

/** Layout "2006-01-02 15:04:05.999 -0700 MST" in UTC (rkt status text). */
export function goStatusTime(ns: bigint): string {
  const { d, frac } = utcParts(ns);
  const f = frac.slice(0, 3).replace(/0+$/, "");
  return `${dateTime(d, " ")}${f ? `.${f}` : ""} +0000 UTC`;
}

/** go-humanize's Time(): relative magnitudes as printed by `rkt list`. */
export function humanizeAgo(ns: bigint, now: bigint = nowNs()): string {
  const secs = Number((now - ns) / 1_000_000_000n);
  const suffix = secs < 0 ? "from now" : "ago";
  const s = Math.abs(secs);
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"} ${suffix}`;
  const MIN = 60;
  const HOUR = 60 * MIN;
  const DAY = 24 * HOUR;
  const WEEK = 7 * DAY;
  const MONTH = 30 * DAY;
  const YEAR = 12 * MONTH;
  if (s < 1) return "now";
  if (s < 2) return `1 second ${suffix}`;
  if (s < MIN) return plural(s, "second");
  if (s < 2 * MIN) return `1 minute ${suffix}`;
  if (s < HOUR) return plural(Math.floor(s / MIN), "minute");
  if (s < 2 * HOUR) return `1 hour ${suffix}`;
  if (s < DAY) return plural(Math.floor(s / HOUR), "hour");
  if (s < 2 * DAY) return `1 day ${suffix}`;
  if (s < WEEK) return plural(Math.floor(s / DAY), "day");
  if (s < 2 * WEEK) return `1 week ${suffix}`;
  if (s < MONTH) return plural(Math.floor(s / WEEK), "week");
  if (s < 2 * MONTH) return `1 month ${suffix}`;
  if (s < YEAR) return plural(Math.floor(s / MONTH), "month");
  if (s < 18 * MONTH) return `1 year ${suffix}`;
  if (s < 2 * YEAR) return `2 years ${suffix}`;
  return plural(Math.floor(s / YEAR), "year");
}

const UNIT_NS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds; throws Go's error text. */
export function parseGoDurationMs(input: string): number {
  const bad = (): Error => new Error(`time: invalid duration ${JSON.stringify(input)}`);
  let s = input;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw bad();
  let total = 0;
  const re = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) {
      if (/^(\d+\.?\d*|\.\d+)$/.test(s)) throw new Error(`time: missing unit in duration ${JSON.stringify(input)}`);
      throw bad();
    }
    total += Number.parseFloat(m[1]!) * UNIT_NS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}
