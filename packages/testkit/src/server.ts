import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CriRuntime, type CriRuntimeOptions, createCriRuntime } from "@rktlet/core";
import { CriServer, createLogger, type Logger } from "@rktlet/cri-server";
import { type CriClients, connectCriClients } from "./client";
import { createFakeBackend, type FakeBackend, type FakeBackendOptions } from "./fakes/backend";

export interface TestServerOptions extends FakeBackendOptions {
  /** Runtime options (clock, streaming URL) for the core use cases. */
  readonly runtime?: CriRuntimeOptions;
  /** Defaults to a silent logger; pass one to see the server's logs. */
  readonly logger?: Logger;
}

export interface TestServer {
  readonly socketPath: string;
  /** `unix:///…` address to hand to a CRI client. */
  readonly address: string;
  readonly backend: FakeBackend;
  readonly runtime: CriRuntime;
  readonly clients: CriClients;
  /** Shuts the server down, closes the clients and removes the temporary directory. */
  close(): Promise<void>;
}

/**
 * Starts a real rktlet CRI server, backed by the in-memory fakes, on a unix socket in a fresh temporary
 * directory, and connects typed clients to it.
 */
export async function startFakeCriServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), "rktlet-test-"));
  const socketPath = join(dir, "cri.sock");
  const backend = createFakeBackend(options);
  const runtime = createCriRuntime(backend, options.runtime);
  const server = new CriServer({ runtime, logger: options.logger ?? createLogger("silent") });
  await server.listen(socketPath);
  const clients = connectCriClients(socketPath);
  return {
    socketPath,
    address: `unix://${socketPath}`,
    backend,
    runtime,
    clients,
    async close() {
      clients.close();
      await server.shutdown(2000);
      runtime.close();
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
