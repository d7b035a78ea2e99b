import type { RuntimeBackend } from "./ports/backend";
import type { Clock } from "./ports/clock";
import { systemClock } from "./ports/clock";
import { ContainerService } from "./usecases/containers";
import { EventHub } from "./usecases/event-hub";
import { ImageService } from "./usecases/images";
import { KeyedLock } from "./usecases/keyed-lock";
import { PodSandboxService } from "./usecases/pod-sandboxes";
import { RuntimeStatusService } from "./usecases/runtime-status";
import { StatsService } from "./usecases/stats";
import { StreamingService } from "./usecases/streaming";

export interface CriRuntimeOptions {
  readonly clock?: Clock;
  /** Base URL of the streaming server that redeems exec/attach/port-forward tokens. */
  readonly streamingBaseUrl?: () => string;
}

/** Every CRI use case, wired over one backend. This is what a CRI front end (gRPC or other) calls. */
export interface CriRuntime {
  readonly backend: RuntimeBackend;
  readonly events: EventHub;
  readonly sandboxes: PodSandboxService;
  readonly containers: ContainerService;
  readonly images: ImageService;
  readonly status: RuntimeStatusService;
  readonly stats: StatsService;
  readonly streaming: StreamingService;
  /** Stops listening to the backend; the backend itself is closed by its owner. */
  close(): void;
}

export function createCriRuntime(backend: RuntimeBackend, options: CriRuntimeOptions = {}): CriRuntime {
  const clock = options.clock ?? systemClock;
  const events = new EventHub();
  const locks = new KeyedLock();
  const containers = new ContainerService(backend.sandboxes, backend.apps, backend.images, events, clock, locks);
  const sandboxes = new PodSandboxService(backend.sandboxes, containers, events, clock, locks);
  const baseUrl = options.streamingBaseUrl ?? (() => "http://127.0.0.1:10241");
  const unsubscribe = backend.onContainerChange?.((id) => {
    containers.noticeChange(id).catch(() => undefined); // best effort: a vanished container has nothing to report
  });
  return {
    backend,
    events,
    sandboxes,
    containers,
    images: new ImageService(backend.images),
    status: new RuntimeStatusService(backend.info),
    stats: new StatsService(backend.stats, sandboxes, containers),
    streaming: new StreamingService(containers, sandboxes, clock, baseUrl),
    close: () => unsubscribe?.(),
  };
}
