import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { createRktBackend, type RktBackend, type RktConfig } from "@rktlet/adapters-rkt";
import { type ContainerSpec, type CriRuntime, createCriRuntime, type PodSandboxSpec } from "@rktlet/core";
import { containerSpec, podSandboxSpec, rktSimPath } from "@rktlet/testkit";

/** A real rkt backend over the rkt simulator, in a temporary directory (short, for unix socket paths). */
export interface SimEnv {
  readonly dir: string;
  readonly backend: RktBackend;
  readonly runtime: CriRuntime;
  readonly logDir: string;
  /** A second backend over the same directories: what a restarted daemon sees. */
  restart(): Promise<{ backend: RktBackend; runtime: CriRuntime }>;
  close(): Promise<void>;
}

export async function startSimEnv(config: Partial<RktConfig> = {}): Promise<SimEnv> {
  const dir = mkdtempSync(join(tmpdir(), "rk-"));
  const make = async () => {
    const backend = createRktBackend({
      config: {
        rktPath: rktSimPath(),
        dataDir: join(dir, "d"),
        stateDir: join(dir, "s"),
        sharedMount: false,
        readyTimeoutMs: 20_000,
        logPollMs: 50,
        watchMs: 250,
        podLogRoot: join(dir, "logs"),
        ...config,
      },
      units: new ProcessUnitManager({ stateDir: join(dir, "s", "units") }),
    });
    await backend.start();
    return { backend, runtime: createCriRuntime(backend) };
  };
  const first = await make();
  const opened = [first];
  return {
    dir,
    ...first,
    logDir: join(dir, "logs"),
    async restart() {
      const next = await make();
      opened.push(next);
      return next;
    },
    async close() {
      for (const o of opened) {
        for (const s of await o.backend.sandboxes.list().catch(() => [])) {
          await o.runtime.sandboxes.remove(s.id).catch(() => undefined);
        }
        o.runtime.close();
        await o.backend.close();
      }
      for (const u of await new ProcessUnitManager({ stateDir: join(dir, "s", "units") }).list()) {
        await new ProcessUnitManager({ stateDir: join(dir, "s", "units") }).stop(u.name, 2000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function pod(name: string, logDir: string, over: Partial<PodSandboxSpec> = {}): PodSandboxSpec {
  return podSandboxSpec(name, { logDirectory: join(logDir, name), annotations: { note: "hello" }, ...over });
}

export function container(name: string, script: string, over: Partial<ContainerSpec> = {}): ContainerSpec {
  return containerSpec(name, {
    command: ["/bin/sh", "-c", script],
    envs: [{ key: "GREETING", value: "hello" }],
    annotations: { owner: "test" },
    ...over,
  });
}

export async function until<T>(fn: () => Promise<T | undefined | false>, ms = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
