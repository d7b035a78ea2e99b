/**
 * Fires once after `ms` without a `touch()`. Touching only records the time: the one timer re-arms itself
 * for the remainder, so a busy connection does not churn timers on every frame.
 */
const MAX_DELAY = 2 ** 31 - 1;

export class IdleTimer {
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    if (Number.isFinite(ms) && ms > 0) this.arm(ms);
  }

  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delay: number): void {
    // setTimeout cannot wait longer than 2^31-1 ms; a longer limit just re-arms.
    this.timer = setTimeout(
      () => {
        const left = this.last + this.ms - Date.now();
        if (left > 0) return this.arm(left);
        this.timer = undefined;
        this.onIdle();
      },
      Math.min(delay, MAX_DELAY),
    );
    // An idle connection must not keep the process alive on its own.
    this.timer.unref();
  }
}
