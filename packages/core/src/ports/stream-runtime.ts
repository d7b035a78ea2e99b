/**
 * Interactive access to containers and pods, behind the streaming server's exec, attach and port-forward.
 * Streams are Node's (ambient types only: core imports no node module).
 */

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

export interface InteractiveOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** A terminal: one output stream (stdout) and resizes apply. */
  readonly tty: boolean;
}

/** A running exec, or an attachment to a container's own stdio. */
export interface InteractiveProcess {
  /** Present when stdin was asked for; ending it closes the process's stdin (exec) or the attachment's. */
  readonly stdin: NodeJS.WritableStream | undefined;
  readonly stdout: NodeJS.ReadableStream | undefined;
  readonly stderr: NodeJS.ReadableStream | undefined;
  /** Applies a terminal size; a no-op without a terminal. */
  resize(size: TerminalSize): void;
  /**
   * The exit status once the process is gone and its output has ended (an attachment ends with 0 when the
   * container's output ends). Rejects with a RktletError when the runtime itself failed.
   */
  readonly exited: Promise<number>;
  /** Ends it early (the client went away): kills the exec'd process, or drops the attachment. */
  kill(): void;
}

export interface StreamRuntime {
  /** Starts `cmd` in the container. Fails (RktletError) before anything runs when the container cannot take it. */
  exec(containerId: string, cmd: readonly string[], options: InteractiveOptions): Promise<InteractiveProcess>;
  attach(containerId: string, options: InteractiveOptions): Promise<InteractiveProcess>;
  /** A TCP connection to `port` inside the pod's network namespace. */
  portForward(podSandboxId: string, port: number): Promise<NodeJS.ReadWriteStream & { destroy(error?: Error): void }>;
}
