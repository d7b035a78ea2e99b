import type { ServerWritableStream } from "@grpc/grpc-js";

/** Items per message on the Stream* RPCs: small enough to stay far below the message size limit. */
export const STREAM_BATCH = 100;

/** Writes `items` in batches (always at least one message, so an empty result is still an answer) and ends. */
export async function writeInBatches<T, Res>(
  call: ServerWritableStream<unknown, Res>,
  items: readonly T[],
  wrap: (batch: T[]) => Res,
): Promise<void> {
  for (let i = 0; i === 0 || i < items.length; i += STREAM_BATCH) {
    if (call.cancelled) return;
    const ok = call.write(wrap(items.slice(i, i + STREAM_BATCH)));
    if (!ok) await new Promise<void>((resolve) => call.once("drain", resolve));
  }
  call.end();
}

/** JSON for `info` maps (the CRI wants JSON values); bigints become decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
