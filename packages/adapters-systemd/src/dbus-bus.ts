import { DBusError, Message, type MessageBus, MessageType, sessionBus, systemBus, Variant } from "dbus-next";

/**
 * A small typed layer over dbus-next 0.10.2's low-level API (MessageBus.call with explicit signatures).
 * dbus-next types message bodies as `any[]` and proxy methods as `Function`, and its MessageBus has gaps
 * this layer closes:
 * - a call pending when the connection drops never settles (dbus-next keeps its reply handler forever),
 *   and the bus does not say that the socket closed; here pending calls are rejected with BusClosedError
 *   (the end is seen on dbus-next's undeclared connection object, see Hidden);
 * - an 'error' event without a listener would be thrown: one is always attached;
 * - messages sent before the handshake are marshalled later inside an event handler, where a marshalling
 *   error would be uncaught: `BusConnection.open` resolves only once the bus is connected (Hello answered);
 * - calls get a timeout.
 * Replies are `readonly unknown[]`; callers check their shape (see `str`, `num`, `arr`).
 */

export type Body = readonly unknown[];

export interface Signal {
  readonly sender: string;
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  readonly body: Body;
}

/** An error reply from the peer (its D-Bus error name in `type`, e.g. org.freedesktop.systemd1.NoSuchUnit). */
export class BusError extends Error {
  override readonly name = "BusError";
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The connection closed (or failed) before the reply came; a new connection may succeed. */
export class BusClosedError extends Error {
  override readonly name = "BusClosedError";
}

export class BusTimeoutError extends Error {
  override readonly name = "BusTimeoutError";
}

/** A D-Bus variant to send; `t` and `x` values should be bigint. */
export const variant = (signature: string, value: unknown): Variant => new Variant(signature, value);

/**
 * What dbus-next 0.10.2 keeps on a MessageBus but does not declare: its connection, which emits "end" when
 * the stream ends, and the stream itself (a net.Socket, or a USocket when the optional native `usocket`
 * module is installed): every member is optional and checked before use.
 */
interface Hidden {
  readonly _connection?: {
    on?(event: "end", listener: () => void): unknown;
    readonly stream?: Stream;
  };
}
interface Stream {
  once?(event: "close", listener: () => void): unknown;
  destroy?(): void;
  unref?(): void;
  readonly destroyed?: boolean;
}

export interface CallOptions {
  readonly destination: string;
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  readonly signature?: string;
  readonly body?: Body;
}

/** One connection to a message bus. Once `closed`, it stays closed: open another. */
export class BusConnection {
  private readonly pending = new Set<(err: Error) => void>();
  private readonly signalListeners = new Set<(s: Signal) => void>();
  private readonly closeListeners = new Set<(err: Error) => void>();
  private closedBy: Error | undefined;
  private readonly stream: Stream | undefined;

  private constructor(
    private readonly bus: MessageBus,
    readonly address: string,
    private readonly callTimeoutMs: number,
  ) {
    const hidden = (bus as unknown as Hidden)._connection;
    this.stream = hidden?.stream;
    // an idle connection does not keep the process alive; a pending call does (its timeout timer)
    this.stream?.unref?.();
    bus.on("error", (err: unknown) => this.fail(new BusClosedError(`D-Bus connection to ${address} failed: ${describe(err)}`)));
    const dropped = () => this.fail(new BusClosedError(`D-Bus connection to ${address} closed`));
    hidden?.on?.("end", dropped);
    this.stream?.once?.("close", dropped);
    bus.on("message", (m: Message) => {
      if (m.type !== MessageType.SIGNAL || this.signalListeners.size === 0) return;
      const s: Signal = {
        sender: m.sender ?? "",
        path: m.path ?? "",
        interface: m.interface ?? "",
        member: m.member ?? "",
        body: Array.isArray(m.body) ? m.body : [],
      };
      for (const l of this.signalListeners) {
        try {
          l(s);
        } catch {
          // a listener's bug must not reach dbus-next, which would answer the signal with an error message
        }
      }
    });
  }

  /** Connects and says Hello; resolves once the bus has answered. */
  static open(address: string | undefined, timeoutMs: number, callTimeoutMs = timeoutMs): Promise<BusConnection> {
    const where = address || process.env.DBUS_SYSTEM_BUS_ADDRESS || "unix:path=/var/run/dbus/system_bus_socket";
    return new Promise((resolve, reject) => {
      let bus: MessageBus;
      try {
        // systemBus() reads DBUS_SYSTEM_BUS_ADDRESS; sessionBus() is the one that takes an explicit address
        bus = address ? sessionBus({ busAddress: address }) : systemBus();
      } catch (err) {
        reject(new BusClosedError(`cannot connect to the D-Bus at ${where}: ${describe(err)}`));
        return;
      }
      const conn = new BusConnection(bus, where, callTimeoutMs);
      const timer = setTimeout(() => {
        conn.fail(new BusTimeoutError(`no answer from the D-Bus at ${where} in ${timeoutMs}ms`));
      }, timeoutMs);
      const off = conn.onClose((err) => {
        clearTimeout(timer);
        reject(err);
      });
      bus.once("connect", () => {
        clearTimeout(timer);
        off();
        resolve(conn);
      });
    });
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** Calls a method; resolves with the reply's body, rejects with BusError, BusClosedError or BusTimeoutError. */
  call(c: CallOptions, timeoutMs = this.callTimeoutMs): Promise<Body> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    return new Promise<Body>((resolve, reject) => {
      const what = `${c.interface}.${c.member}`;
      const done = (err: Error | undefined, body?: Body) => {
        clearTimeout(timer);
        this.pending.delete(abort);
        if (err) reject(err);
        else resolve(body ?? []);
      };
      const abort = (err: Error) => done(err);
      const timer = setTimeout(() => done(new BusTimeoutError(`${what}: no reply in ${timeoutMs}ms`)), timeoutMs);
      this.pending.add(abort);
      let msg: Message;
      try {
        msg = new Message({
          destination: c.destination,
          path: c.path,
          interface: c.interface,
          member: c.member,
          ...(c.signature ? { signature: c.signature, body: [...(c.body ?? [])] } : {}),
        });
      } catch (err) {
        done(new Error(`${what}: bad message: ${describe(err)}`));
        return;
      }
      this.bus.call(msg).then(
        (reply) => done(undefined, Array.isArray(reply?.body) ? reply.body : []),
        (err: unknown) =>
          done(
            err instanceof DBusError ? new BusError(err.type, `${what}: ${err.text || err.type}`) : new Error(`${what}: ${describe(err)}`),
          ),
      );
    });
  }

  /** Every signal this connection receives (as allowed by its match rules); returns the unsubscribe. */
  onSignal(listener: (s: Signal) => void): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /** Called once, when the connection closes or fails (immediately if it already has). */
  onClose(listener: (err: Error) => void): () => void {
    if (this.closedBy) {
      listener(this.closedBy);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Disconnects; resolves once the socket is closed. */
  close(): Promise<void> {
    const stream = this.stream;
    const closed = new Promise<void>((resolve) => {
      if (!stream?.once || stream.destroyed) resolve();
      else stream.once("close", resolve);
    });
    this.fail(new BusClosedError(`D-Bus connection to ${this.address} was closed`));
    return closed;
  }

  private fail(err: Error): void {
    if (this.closedBy) return;
    this.closedBy = err;
    try {
      this.bus.disconnect(); // ends our side of the stream; the bus then closes the socket
    } catch {
      // already gone
    }
    const stream = this.stream;
    if (stream?.destroy && !stream.destroyed) setTimeout(() => stream.destroy?.(), 1000).unref();
    for (const abort of [...this.pending]) abort(err);
    for (const l of [...this.closeListeners]) l(err);
    this.closeListeners.clear();
    this.signalListeners.clear();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Checked views of reply values.

export function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new Error(`${what}: expected a string, got ${typeof v}`);
  return v;
}

export function num(v: unknown, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new Error(`${what}: expected a number, got ${typeof v}`);
}

export function arr(v: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected an array, got ${typeof v}`);
  return v;
}

/** An a{sv} reply (dbus-next gives a plain object of Variants). */
export function dict(v: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${what}: expected a dictionary, got ${typeof v}`);
  return v as Record<string, unknown>;
}

/** The value inside a variant (properties come back as dbus-next Variant objects). */
export function unwrap(v: unknown): unknown {
  return v instanceof Variant ? v.value : v;
}
