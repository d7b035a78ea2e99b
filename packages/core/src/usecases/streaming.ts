import { failedPrecondition, invalidArgument } from "../errors";
import { PodSandboxState } from "../model/pod-sandbox";
import type { Clock } from "../ports/clock";
import type { ContainerService } from "./containers";
import type { PodSandboxService } from "./pod-sandboxes";
import { checkText, ensure } from "./rules";

interface StdioRequest {
  readonly containerId: string;
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

export type StreamSession =
  | ({ readonly kind: "exec"; readonly cmd: readonly string[] } & StdioRequest)
  | ({ readonly kind: "attach" } & StdioRequest)
  | { readonly kind: "portforward"; readonly podSandboxId: string; readonly ports: readonly number[] };

/** Tokens are single-use and expire after a minute, as kubelet's streaming contract expects. */
export const STREAM_TOKEN_TTL_NS = 60n * 1_000_000_000n;
const TOKEN_BYTES = 24; // 192 random bits

/**
 * Prepares exec/attach/port-forward sessions: validates the request, then hands out a single-use,
 * unguessable token that the streaming server redeems with `take`.
 */
export class StreamingService {
  private readonly sessions = new Map<string, { session: StreamSession; expires: bigint }>();

  constructor(
    private readonly containers: ContainerService,
    private readonly sandboxes: PodSandboxService,
    private readonly clock: Clock,
    /** Where the streaming server listens, e.g. `http://127.0.0.1:10241`. */
    private readonly baseUrl: () => string,
  ) {}

  async exec(req: Omit<Extract<StreamSession, { kind: "exec" }>, "kind">): Promise<string> {
    if (req.cmd.length === 0) throw invalidArgument("cmd", "must name a command");
    for (const [i, arg] of req.cmd.entries()) ensure(`cmd[${i}]`, arg, checkText);
    checkStdio(req);
    const c = await this.containers.requireRunning(req.containerId);
    return this.issue({ kind: "exec", ...req, containerId: c.id });
  }

  async attach(req: StdioRequest): Promise<string> {
    checkStdio(req);
    const c = await this.containers.requireRunning(req.containerId);
    return this.issue({ kind: "attach", ...req, containerId: c.id });
  }

  async portForward(podSandboxId: string, ports: readonly number[]): Promise<string> {
    ports.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidArgument(`port[${i}]`, "must be a port number from 1 to 65535");
    });
    const { sandbox } = await this.sandboxes.status(podSandboxId);
    if (sandbox.state !== PodSandboxState.Ready) throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready`);
    return this.issue({ kind: "portforward", podSandboxId: sandbox.id, ports });
  }

  /** Redeems a token once; undefined when unknown, used or expired. */
  take(token: string): StreamSession | undefined {
    this.sweep();
    const entry = this.sessions.get(token);
    this.sessions.delete(token);
    if (!entry || entry.expires <= this.clock.now()) return undefined;
    return entry.session;
  }

  get pending(): number {
    this.sweep();
    return this.sessions.size;
  }

  private issue(session: StreamSession): string {
    this.sweep();
    const bytes = new Uint8Array(TOKEN_BYTES);
    globalThis.crypto.getRandomValues(bytes);
    const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    this.sessions.set(token, { session, expires: this.clock.now() + STREAM_TOKEN_TTL_NS });
    const path = session.kind === "portforward" ? "portforward" : session.kind;
    return `${this.baseUrl().replace(/\/$/, "")}/${path}/${token}`;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [token, entry] of this.sessions) if (entry.expires <= now) this.sessions.delete(token);
  }
}

function checkStdio(req: StdioRequest): void {
  if (!req.stdin && !req.stdout && !req.stderr)
    throw invalidArgument("stdin", "at least one of stdin, stdout and stderr must be requested");
  if (req.tty && req.stderr) throw invalidArgument("stderr", "must be false when tty is set (a terminal has one output stream)");
}
