import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, type Logger, type RuntimeBackend, silentLogger, systemClock, type UnitManager } from "@rktlet/core";
import { removeAbandonedTempFiles } from "@rktlet/node-support";
import { criLogPath, RktAppRuntime } from "./app-runtime";
import { RktRunner } from "./cli/runner";
import { containerId, Reserved } from "./commands/names";
import { DEFAULT_RKT_CONFIG, type RktConfig } from "./config";
import { paths, type RktContext } from "./context";
import { RktImageStore } from "./image-store";
import { LogPump } from "./logs/log-pump";
import { isCriPod } from "./mapping";
import { OrphanSweeper } from "./orphans";
import type { RktPod } from "./parse/pod";
import { parseAppStatus } from "./parse/pod";
import { RktPodSandboxRuntime } from "./pod-sandbox-runtime";
import { RktRuntimeInfo } from "./runtime-info";
import { ensureSharedMount } from "./shared-mount";
import { RktSnapshot } from "./snapshot";
import { ContainerRecords } from "./state/records";
import { RktStatsProvider } from "./stats-provider";
import { RktStreamRuntime } from "./streams/stream-runtime";

const SWEEP_EVERY_MS = 30_000;
/** While a unit without a pod is being watched. */
const SWEEP_PENDING_MS = 5_000;

export interface RktBackendOptions {
  readonly config: Partial<RktConfig> & Pick<RktConfig, "rktPath" | "dataDir" | "stateDir">;
  readonly units: UnitManager;
  /** Why this unit manager was chosen, for Status' verbose info. */
  readonly unitManagerReason?: string;
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
    startingUnits: new Set(),
  };
  const orphans = new OrphanSweeper(ctx, ctx.startingUnits);
  let lastSweep = 0;
  let sweeping: Promise<void> | undefined;
  /**
   * Leftover units and files are looked for at start-up, then every half minute (every few seconds while a
   * unit without a pod is watched). One sweep at a time, apart from the watch's refreshes, which a unit's
   * stop must not hold up.
   */
  function sweepOrphans(pods: readonly RktPod[]): Promise<void> {
    lastSweep = Date.now();
    sweeping ??= orphans
      .sweep(pods)
      .catch((err: Error) => logger.warn({ err: err.message }, "could not look for leftover pod units"))
      .finally(() => (sweeping = undefined));
    return sweeping;
  }
  const images = new RktImageStore(ctx);
  const info = new RktRuntimeInfo(ctx, images, options.unitManagerReason ?? "");
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

  /** Asks rkt once for an app's exact state: only on start-up, for what rkt's list cannot tell. */
  async function appStatus(podUuid: string, app: string) {
    const r = await runner.run("app", ["status", podUuid, `--app=${app}`, "--format=json"]);
    return r.exitCode === 0 ? parseAppStatus(r.stdout) : undefined;
  }

  /**
   * Start-up: rebuild lost records, settle records that a crash left unsure (an app started or exited while
   * no daemon recorded it), drop records of vanished containers, and resume log conversion.
   */
  async function recover(pods: readonly RktPod[]): Promise<void> {
    const live = new Set<string>();
    for (const pod of pods) {
      if (!isCriPod(pod)) continue;
      const unit = pod.userAnnotations[Reserved.UnitName] ?? "";
      for (const app of pod.apps) {
        const id = containerId(pod.uuid, app.name);
        live.add(id);
        const record = ctx.records.get(id);
        const unsure = !record || (!record.startedAt && app.state !== "created") || (!record.finishedAt && app.state === "exited");
        if (!unsure) continue;
        const s = await appStatus(pod.uuid, app.name);
        if (!s) continue;
        const started = s.state === "running" || s.state === "exited";
        const times = {
          ...(started && s.startedAt !== undefined ? { startedAt: String(s.startedAt) } : {}),
          ...(s.finishedAt !== undefined ? { finishedAt: String(s.finishedAt) } : {}),
        };
        if (record) {
          await ctx.records.update(id, times);
          continue;
        }
        // No record (lost state dir, or a crash between `app add` and the record).
        await ctx.records.put({
          id,
          createdAt: String(s.createdAt ?? 0n),
          ...times,
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
      } else if (r.criLogPath && !r.removed) {
        await ctx.logs.track({ id: r.id, rawPath: r.rawLogPath, criPath: r.criLogPath });
      }
    }
  }

  async function watchTick(): Promise<void> {
    if (ctx.snapshot.ageMs >= config.watchMs) await ctx.snapshot.refresh();
    const due = Date.now() - lastSweep >= (orphans.pending ? SWEEP_PENDING_MS : SWEEP_EVERY_MS);
    if (due && !sweeping) void sweepOrphans(await ctx.snapshot.pods());
  }

  let recovered = false;
  async function tryRecover(): Promise<void> {
    try {
      const pods = await ctx.snapshot.refresh();
      await recover(pods);
      await sweepOrphans(pods);
      recovered = true;
    } catch (err) {
      logger.error({ err: (err as Error).message }, "could not read rkt's pods; retrying");
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
    stats: new RktStatsProvider(ctx),
    streams: new RktStreamRuntime(ctx),
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
      // A pull killed mid-way leaves credentials behind: nothing in here outlives a pull.
      await rm(p.auth, { recursive: true, force: true });
      await info.check();
      await ctx.records.load();
      await tryRecover();
      await removeAbandonedTempFiles(p.logProgress);
      ctx.logs.start();
      let busy = false;
      watch = setInterval(() => {
        if (busy) return;
        busy = true;
        const work = recovered ? watchTick() : tryRecover();
        work.catch(() => undefined).finally(() => (busy = false));
      }, config.watchMs);
      watch.unref();
    },
    async close() {
      if (watch) clearInterval(watch);
      await ctx.logs.stop();
    },
  };
}
