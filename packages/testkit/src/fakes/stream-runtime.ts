import { Duplex, PassThrough } from "node:stream";
import {
  ErrorKind,
  type InteractiveOptions,
  type InteractiveProcess,
  notFound,
  RktletError,
  type StreamRuntime,
  type TerminalSize,
} from "@rktlet/core";
import type { FakeAppRuntime } from "./app-runtime";
import type { FakePodSandboxRuntime } from "./pod-sandbox-runtime";

/** A handler for a forwarded connection: it gets the pod side of the connection. */
export type FakePortHandler = (connection: Duplex) => void;

/**
 * In-memory exec, attach and port-forward. Exec of `cat` copies stdin to stdout; any other command answers
 * through the app runtime's exec handler. Attach sees what `emit` writes and records what clients send.
 * Port-forward reaches handlers registered with `listen`; other ports refuse.
 */
export class FakeStreamRuntime implements StreamRuntime {
  /** Terminal sizes received per container. */
  readonly resizes = new Map<string, TerminalSize[]>();
  /** Bytes attach clients sent per container. */
  readonly attachInput = new Map<string, Buffer[]>();
  private readonly attached = new Map<string, Set<{ stdout?: PassThrough; stderr?: PassThrough }>>();
  private readonly ports = new Map<string, FakePortHandler>();

  constructor(
    private readonly apps: FakeAppRuntime,
    private readonly sandboxes: FakePodSandboxRuntime,
  ) {}

  async exec(containerId: string, cmd: readonly string[], options: InteractiveOptions): Promise<InteractiveProcess> {
    const container = await this.container(containerId);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const exited = (async () => {
      if (cmd[0] === "cat") {
        stdin.pipe(stdout);
        await new Promise((r) => stdin.once("end", r));
        return 0;
      }
      stdin.resume();
      const answer = await this.apps.execHandler(container, cmd);
      if (answer.stdout) stdout.write(answer.stdout);
      if (answer.stderr) (options.tty ? stdout : stderr).write(answer.stderr);
      stdout.end();
      stderr.end();
      return answer.exitCode ?? 0;
    })();
    return this.process(containerId, options, { stdin, stdout, stderr }, exited);
  }

  async attach(containerId: string, options: InteractiveOptions): Promise<InteractiveProcess> {
    await this.container(containerId);
    const stdin = new PassThrough();
    const outputs = { stdout: new PassThrough(), stderr: new PassThrough() };
    const set = this.attached.get(containerId) ?? new Set();
    this.attached.set(containerId, set);
    set.add(outputs);
    stdin.on("data", (d: Buffer) => this.attachInput.set(containerId, [...(this.attachInput.get(containerId) ?? []), d]));
    const exited = new Promise<number>((resolve) => outputs.stdout.once("close", () => resolve(0)));
    const proc = this.process(containerId, options, { stdin, ...outputs }, exited);
    return { ...proc, kill: () => outputs.stdout.destroy() };
  }

  /** Writes output as the container would, to everyone attached to it. */
  emit(containerId: string, stream: "stdout" | "stderr", data: string | Uint8Array): void {
    for (const outputs of this.attached.get(containerId) ?? []) outputs[stream]?.write(data);
  }

  /** Registers a server for `port` in the pod. */
  listen(podSandboxId: string, port: number, handler: FakePortHandler): void {
    this.ports.set(`${podSandboxId}/${port}`, handler);
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    const sandbox = (await this.sandboxes.list()).find((s) => s.id === podSandboxId);
    if (!sandbox) throw notFound("pod sandbox", podSandboxId);
    const handler = this.ports.get(`${podSandboxId}/${port}`);
    if (!handler)
      throw new RktletError(ErrorKind.Unavailable, `failed to connect to localhost:${port} in pod ${podSandboxId}: connection refused`);
    const [client, server] = duplexPair();
    handler(server);
    return client;
  }

  private async container(id: string) {
    const c = (await this.apps.list()).find((x) => x.id === id);
    if (!c) throw notFound("container", id);
    return c;
  }

  private process(
    containerId: string,
    options: InteractiveOptions,
    io: { stdin: PassThrough; stdout: PassThrough; stderr: PassThrough },
    exited: Promise<number>,
  ): InteractiveProcess {
    if (!options.stdin) io.stdin.end();
    // output nobody asked for is drained, so the fake never blocks on it
    const wantStderr = options.stderr && !options.tty;
    if (!options.stdout) io.stdout.resume();
    if (!wantStderr) io.stderr.resume();
    return {
      stdin: options.stdin ? io.stdin : undefined,
      stdout: options.stdout ? io.stdout : undefined,
      stderr: wantStderr ? io.stderr : undefined,
      resize: (size) => this.resizes.set(containerId, [...(this.resizes.get(containerId) ?? []), size]),
      exited,
      kill: () => {
        io.stdin.destroy();
        io.stdout.destroy();
        io.stderr.destroy();
      },
    };
  }
}

/** Two connected in-memory Duplex ends, like a socket pair. */
export function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}
