import { type CallOptions, type ClientOptions, type ClientReadableStream, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { ImageServiceClient, RuntimeServiceClient } from "@rktlet/cri-api";

/** Turns a generated client's callback methods into promise-returning ones with the same names. */
type Unary<F> = F extends (
  request: infer Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: infer Res) => void,
) => unknown
  ? (request: Req, options?: Partial<CallOptions>) => Promise<Res>
  : never;
type Streaming<F> = F extends (request: infer Req, metadata?: Metadata, options?: Partial<CallOptions>) => ClientReadableStream<infer Res>
  ? (request: Req, options?: Partial<CallOptions>) => ClientReadableStream<Res>
  : never;

type Promisified<C> = {
  [K in keyof C as C[K] extends (...args: never[]) => unknown ? K : never]: C[K] extends (
    ...args: infer _A
  ) => ClientReadableStream<unknown>
    ? Streaming<C[K]>
    : Unary<C[K]>;
};

export type RuntimeClient = Omit<
  Promisified<RuntimeServiceClient>,
  | "close"
  | "getChannel"
  | "waitForReady"
  | "makeUnaryRequest"
  | "makeClientStreamRequest"
  | "makeServerStreamRequest"
  | "makeBidiStreamRequest"
>;
export type ImageClient = Omit<
  Promisified<ImageServiceClient>,
  | "close"
  | "getChannel"
  | "waitForReady"
  | "makeUnaryRequest"
  | "makeClientStreamRequest"
  | "makeServerStreamRequest"
  | "makeBidiStreamRequest"
>;

export interface CriClients {
  readonly runtime: RuntimeClient;
  readonly image: ImageClient;
  /** The generated grpc-js clients, for streaming RPCs and anything else. */
  readonly raw: { readonly runtime: RuntimeServiceClient; readonly image: ImageServiceClient };
  close(): void;
}

const STREAMING = new Set([
  "streamPodSandboxes",
  "streamContainers",
  "streamContainerStats",
  "streamPodSandboxStats",
  "streamPodSandboxMetrics",
  "getContainerEvents",
  "streamImages",
]);

function promisify<C extends object>(client: C): Record<string, unknown> {
  return new Proxy({} as Record<string, unknown>, {
    get(_t, name: string) {
      const method = (client as Record<string, unknown>)[name];
      if (typeof method !== "function") return undefined;
      if (STREAMING.has(name))
        return (request: unknown, options: Partial<CallOptions> = {}) => method.call(client, request, new Metadata(), options);
      return (request: unknown, options: Partial<CallOptions> = {}) =>
        new Promise((resolve, reject) => {
          method.call(client, request, new Metadata(), options, (err: ServiceError | null, res: unknown) =>
            err ? reject(err) : resolve(res),
          );
        });
    },
  });
}

/** Typed, promise-based CRI clients for a unix socket path (or any grpc-js target such as `unix:///path`). */
export function connectCriClients(socketPathOrTarget: string, options: Partial<ClientOptions> = {}): CriClients {
  const target = socketPathOrTarget.includes(":") ? socketPathOrTarget : `unix://${socketPathOrTarget}`;
  const opts: Partial<ClientOptions> = { "grpc.max_receive_message_length": 16 * 1024 * 1024, ...options };
  const runtime = new RuntimeServiceClient(target, credentials.createInsecure(), opts);
  const image = new ImageServiceClient(target, credentials.createInsecure(), opts);
  return {
    runtime: promisify(runtime) as unknown as RuntimeClient,
    image: promisify(image) as unknown as ImageClient,
    raw: { runtime, image },
    close() {
      runtime.close();
      image.close();
    },
  };
}

/** Collects every message of a server stream. */
export function collect<T>(stream: ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on("data", (m: T) => items.push(m));
    stream.on("error", reject);
    stream.on("end", () => resolve(items));
  });
}
