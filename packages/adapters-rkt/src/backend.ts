import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, type Logger, type RuntimeBackend, silentLogger, systemClock, type UnitManager } from "@rktlet/core";
import { criLogPath, RktAppRuntime } from "./app-runtime";
import { RktRunner } from "./cli/runner";
import { containerId, Reserved } from "./commands/names";
import { DEFAULT_RKT_CONFIG, type RktConfig } from "./config";
import { paths, type RktContext } from "./context";
import { RktImageStore } from "./image-store";
import { LogPump } from "./logs/log-pump";
import { isCriPod } from "./mapping";
import type { RktPod } from "./parse/pod";
import { parseAppStatus } from "./parse/pod";
import { RktPodSandboxRuntime } from "./pod-sandbox-runtime";
import { RktRuntimeInfo } from "./runtime-info";
import { ensureSharedMount } from "./shared-mount";
import { RktSnapshot } from "./snapshot";
import { ContainerRecords } from "./state/records";
import { RktStatsProvider } from "./stats-provider";

export interface RktBackendOptions {
  readonly config: Partial<RktConfig> & Pick<RktConfig, "rktPath" | "dataDir" | "stateDir">;
  readonly units: UnitManager;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface RktBackend extends RuntimeBackend {
  readonly sandboxes: RktPodSandboxRuntime;
  readonly apps: RktAppRuntime;
  readonly images: RktImageStore;
  readonly info: RktRuntimeInfo;
  /** rkt processes started so far, by subcommand. */
  readonly runner: RktRunner;
  readonly context: RktContext;
  /** Start-up: checks, stage1, shared mount, recovery of records and logs, then the watchers. */
  start(): Promise<void>;
}

/** The rkt backend: every port of @rktlet/core implemented with the rkt CLI. */
export function createRktBackend(options: RktBackendOptions): RktBackend {
  const config: RktConfig = { ...DEFAULT_RKT_CONFIG, ...options.config };
  const logger = options.logger ?? silentLogger;
  const runner = new RktRunner(config, logger.child({ component: "rkt" }));
  const p = paths(config.stateDir);
  const ctx: RktContext = {
    config,
    runner,
    snapshot: new RktSnapshot(runner, config.snapshotMaxAgeMs),
    records: new ContainerRecords(p.records),
    logs: new LogPump(p.logProgress, config.logPollMs, logger.child({ component: "logs" })),
    units: options.units,
    clock: options.clock ?? systemClock,
    logger,
  };
  const images = new RktImageStore(ctx);
  const info = new RktRuntimeInfo(ctx, images);
  const apps = new RktAppRuntime(ctx);
  const listeners = new Set<(id: string) => void>();
  let watch: NodeJS.Timeout | undefined;

  // Containers that exit by themselves show up as `exited` in the next snapshot: record when, and tell listeners.
  ctx.snapshot.onRefresh((previous, next) => {
    if (!previous) return;
    const wasExited = new Set<string>();
    for (const pod of previous)
      for (const app of pod.apps) if (app.state === "exited" || pod.state !== "running") wasExited.add(containerId(pod.uuid, app.name));
    for (const pod of next) {
      if (!isCriPod(pod)) continue;
      for (const app of pod.apps) {
        const id = containerId(pod.uuid, app.name);
        const exited = app.state === "exited" || pod.state !== "running";
        if (!exited || wasExited.has(id)) continue;
        const record = ctx.records.get(id);
        if (record && !record.finishedAt) void ctx.records.update(id, { finishedAt: String(ctx.clock.now()) }).catch(() => undefined);
        for (const l of listeners) l(id);
      }
    }
  });

  async function recover(pods: readonly RktPod[]): Promise<void> {
    await ctx.records.load();
    const live = new Set<string>();
    for (const pod of pods) {
      if (!isCriPod(pod)) continue;
      const unit = pod.userAnnotations[Reserved.UnitName] ?? "";
      for (const app of pod.apps) {
        const id = containerId(pod.uuid, app.name);
        live.add(id);
        if (ctx.records.get(id)) continue;
        // No record (lost state dir, or a crash between `app add` and the record): ask rkt once.
        const r = await runner.run("app", ["status", pod.uuid, `--app=${app.name}`, "--format=json"]);
        if (r.exitCode !== 0) continue;
        const s = parseAppStatus(r.stdout);
        const started = s.state === "running" || s.state === "exited";
        await ctx.records.put({
          id,
          createdAt: String(s.createdAt ?? 0n),
          ...(started && s.startedAt !== undefined ? { startedAt: String(s.startedAt) } : {}),
          ...(s.finishedAt !== undefined ? { finishedAt: String(s.finishedAt) } : {}),
          criLogPath: safeCriPath(pod.userAnnotations[Reserved.LogDirectory] ?? "", app.userAnnotations[Reserved.LogPath] ?? ""),
          rawLogPath: join(p.rawLogDir(unit), `${app.name}.log`),
        });
        logger.info({ containerId: id }, "rebuilt the record of a container from rkt");
      }
    }
    for (const r of ctx.records.all()) {
      if (!live.has(r.id)) {
        await ctx.records.delete(r.id);
        await ctx.logs.untrack(r.id, true);
      } else if (r.criLogPath) {
        await ctx.logs.track({ id: r.id, rawPath: r.rawLogPath, criPath: r.criLogPath });
      }
    }
  }

  function safeCriPath(dir: string, rel: string): string {
    try {
      return criLogPath(dir, rel);
    } catch {
      return "";
    }
  }

  return {
    name: "rkt",
    sandboxes: new RktPodSandboxRuntime(ctx),
    apps,
    images,
    units: options.units,
    info,
    stats: new RktStatsProvider(),
    runner,
    context: ctx,
    onContainerChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
      await mkdir(config.dataDir, { recursive: true, mode: 0o755 });
      if (config.sharedMount) {
        try {
          const done = await ensureSharedMount(config.dataDir);
          logger.info({ dataDir: config.dataDir, done }, "rkt data directory is a shared mount");
        } catch (err) {
          const message = `could not make ${config.dataDir} a shared mount (${(err as Error).message}); apps would fail to start`;
          info.setMountHealth({ ok: false, reason: "DataDirNotShared", message });
          logger.error(message);
        }
      }
      await info.check();
      try {
        await recover(await ctx.snapshot.refresh());
      } catch (err) {
        logger.error({ err: (err as Error).message }, "could not read rkt's pods at start-up; will retry on the next call");
      }
      ctx.logs.start();
      watch = setInterval(() => {
        if (ctx.snapshot.ageMs >= config.watchMs) ctx.snapshot.refresh().catch(() => undefined);
      }, config.watchMs);
      watch.unref();
    },
    async close() {
      if (watch) clearInterval(watch);
      await ctx.logs.stop();
    },
  };
}
