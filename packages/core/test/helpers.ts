import { createCriRuntime } from "@rktlet/core";
import { createFakeBackend, ManualClock } from "@rktlet/testkit";

export { containerSpec, podSandboxSpec as sandboxSpec } from "@rktlet/testkit";

export function setup() {
  const clock = new ManualClock();
  const backend = createFakeBackend({ clock, images: ["busybox"] });
  const runtime = createCriRuntime(backend, { clock, streamingBaseUrl: () => "http://127.0.0.1:10241" });
  return { clock, backend, runtime };
}

/** Resolves with the error a promise rejects with; fails the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<{ kind: string; field?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { kind: string; field?: string; message: string };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
