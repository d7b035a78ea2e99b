import "reflect-metadata";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { CriRuntime } from "@rktlet/core";
import { ImageServiceService, RuntimeServiceService } from "@rktlet/cri-api";
import { type DependencyContainer, container as rootContainer } from "tsyringe";
import { RPC_OBSERVER, type RpcObserver, RpcRunner } from "./grpc/rpc-runner";
import { imageService, runtimeService } from "./grpc/services";
import { ContainerHandlers } from "./handlers/containers";
import { EventHandlers } from "./handlers/events";
import { ExecHandlers } from "./handlers/exec";
import { ImageHandlers } from "./handlers/images";
import { PodSandboxHandlers } from "./handlers/pod-sandboxes";
import { RuntimeInfoHandlers } from "./handlers/runtime-info";
import { StatsHandlers } from "./handlers/stats";
import type { Logger } from "./logging";
import { prepareSocketPath, removeSocket, withSocketUmask } from "./socket";
import { TOKENS } from "./tokens";

/** kubelet's own limit for CRI messages; large nodes list thousands of containers. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface CriServerOptions {
  readonly runtime: CriRuntime;
  readonly logger: Logger;
  readonly maxMessageBytes?: number;
  /** Sees every RPC's outcome and duration (the metrics). */
  readonly rpcObserver?: RpcObserver;
}

/** Builds the DI container for one server: the runtime and logger as values, everything else resolved. */
export function createServerContainer(options: CriServerOptions, parent: DependencyContainer = rootContainer): DependencyContainer {
  const c = parent.createChildContainer();
  c.register(TOKENS.Runtime, { useValue: options.runtime });
  c.register(TOKENS.Logger, { useValue: options.logger });
  if (options.rpcObserver) c.register(RPC_OBSERVER, { useValue: options.rpcObserver });
  c.registerSingleton(TOKENS.RpcRunner, RpcRunner);
  c.registerSingleton(RuntimeInfoHandlers);
  c.registerSingleton(PodSandboxHandlers);
  c.registerSingleton(ContainerHandlers);
  c.registerSingleton(ExecHandlers);
  c.registerSingleton(StatsHandlers);
  c.registerSingleton(EventHandlers);
  c.registerSingleton(ImageHandlers);
  return c;
}

/** The CRI gRPC server on a unix socket. */
export class CriServer {
  private readonly server: Server;
  private readonly events: EventHandlers;
  private readonly rpc: RpcRunner;
  private readonly logger: Logger;
  private socketPath: string | undefined;

  constructor(options: CriServerOptions) {
    const di = createServerContainer(options);
    const max = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.logger = options.logger;
    this.server = new Server({ "grpc.max_receive_message_length": max, "grpc.max_send_message_length": max });
    this.rpc = di.resolve<RpcRunner>(TOKENS.RpcRunner);
    this.events = di.resolve(EventHandlers);
    const groups = {
      info: di.resolve(RuntimeInfoHandlers),
      sandboxes: di.resolve(PodSandboxHandlers),
      containers: di.resolve(ContainerHandlers),
      exec: di.resolve(ExecHandlers),
      stats: di.resolve(StatsHandlers),
      events: this.events,
      images: di.resolve(ImageHandlers),
    };
    this.server.addService(RuntimeServiceService, runtimeService(this.rpc, groups));
    this.server.addService(ImageServiceService, imageService(this.rpc, groups));
  }

  /** Listens on a unix socket (mode 0660), replacing a stale one but never a live one. */
  async listen(socketPath: string): Promise<void> {
    await prepareSocketPath(socketPath);
    await withSocketUmask(
      () =>
        new Promise<number>((resolve, reject) =>
          this.server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err, port) =>
            err ? reject(err) : resolve(port),
          ),
        ),
      socketPath,
    );
    this.socketPath = socketPath;
    this.logger.info({ socket: socketPath }, "CRI server listening");
  }

  /**
   * Stops accepting calls, ends event streams, lets in-flight calls finish for up to `graceMs`, then
   * cancels what is left and removes the socket.
   */
  async shutdown(graceMs = 10_000): Promise<void> {
    this.events.closeAll();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn({ pending: this.rpc.pending }, "grace period over, cancelling remaining calls");
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.socketPath) await removeSocket(this.socketPath);
    this.logger.info("CRI server stopped");
  }
}
