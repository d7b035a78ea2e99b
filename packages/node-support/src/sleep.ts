/** Waits `ms` milliseconds (polling loops in the adapters). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
