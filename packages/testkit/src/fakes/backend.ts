import type { Clock, RuntimeBackend } from "@rktlet/core";
import { systemClock } from "@rktlet/core";
import { FakeAppRuntime } from "./app-runtime";
import { FakeImageStore } from "./image-store";
import { FakePodSandboxRuntime } from "./pod-sandbox-runtime";
import { FakeRuntimeInfo } from "./runtime-info";
import { FakeStatsProvider } from "./stats-provider";
import { FakeStreamRuntime } from "./stream-runtime";
import { FakeUnitManager } from "./unit-manager";

export interface FakeBackendOptions {
  readonly clock?: Clock;
  /** Images present without a pull. */
  readonly images?: readonly string[];
}

/** A RuntimeBackend made of fakes, with each fake reachable under its own type for tests to steer. */
export interface FakeBackend extends RuntimeBackend {
  readonly sandboxes: FakePodSandboxRuntime;
  readonly apps: FakeAppRuntime;
  readonly images: FakeImageStore;
  readonly units: FakeUnitManager;
  readonly info: FakeRuntimeInfo;
  readonly stats: FakeStatsProvider;
  readonly streams: FakeStreamRuntime;
}

export function createFakeBackend(options: FakeBackendOptions = {}): FakeBackend {
  const clock = options.clock ?? systemClock;
  const apps = new FakeAppRuntime(clock);
  const sandboxes = new FakePodSandboxRuntime(clock);
  return {
    name: "fake",
    sandboxes,
    apps,
    images: new FakeImageStore({ clock, preloaded: options.images ?? [] }),
    units: new FakeUnitManager(),
    info: new FakeRuntimeInfo(),
    stats: new FakeStatsProvider(clock),
    streams: new FakeStreamRuntime(apps, sandboxes),
    onContainerChange: (listener) => apps.onChange(listener),
    close: async () => undefined,
  };
}
