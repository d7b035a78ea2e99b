import {
  alreadyExists,
  ErrorKind,
  invalidArgument,
  type Logger,
  RktletError,
  silentLogger,
  UnitActiveState,
  type UnitManager,
  type UnitResources,
  type UnitSpec,
  type UnitStatus,
} from "@rktlet/core";
import {
  arr,
  type Body,
  BusClosedError,
  BusConnection,
  BusError,
  type CallOptions,
  dict,
  num,
  type Signal,
  str,
  unwrap,
  variant,
} from "./dbus-bus";
import { isRunning, journalTail, literalArgv, prepareStart, startedStatus, startFailure, toUnitStatus, UNIT_NAME } from "./unit-common";

const SYSTEMD = "org.freedesktop.systemd1";
const SYSTEMD_PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";
const PROPERTIES = "org.freedesktop.DBus.Properties";
const JOB_REMOVED_MATCH = `type='signal',sender='${SYSTEMD}',path='${SYSTEMD_PATH}',interface='${MANAGER}',member='JobRemoved'`;

/** D-Bus errors that mean "no such unit" (GetUnit's, or a unit object that went away under us). */
const GONE = new Set([
  "org.freedesktop.systemd1.NoSuchUnit",
  "org.freedesktop.DBus.Error.UnknownObject",
  "org.freedesktop.DBus.Error.UnknownInterface",
]);

export interface DbusUnitManagerOptions {
  readonly logger?: Logger;
  /** How long a unit may take to report ready (sd_notify READY=1): its TimeoutStartSec. */
  readonly startTimeoutMs?: number;
  /** Per-call timeout of D-Bus method calls (and of opening the connection). */
  readonly callTimeoutMs?: number;
  /** A journal directory to read failure output from, when the journal is not the host's own. */
  readonly journalDirectory?: string | undefined;
  readonly pollMs?: number;
  /** The bus to talk to; default: the system bus (DBUS_SYSTEM_BUS_ADDRESS, else /var/run/dbus/system_bus_socket). */
  readonly busAddress?: string | undefined;
}

interface JobRemoved {
  readonly job: string;
  readonly unit: string;
  readonly result: string;
}

/** A connection and what has been set up on it. */
interface Session {
  readonly bus: BusConnection;
  subscribed?: Promise<void> | undefined;
}

/**
 * Units as systemd transient services, like SystemdUnitManager, but over one D-Bus connection to the
 * service manager instead of a `systemd-run`/`systemctl` process per operation. The connection is opened
 * on first use and reused; if it drops, the next call opens a new one. `close()` disconnects.
 *
 * Starts wait for the start job to finish (JobRemoved): for Type=notify units that is when READY=1 arrives,
 * or when the unit fails, which is reported with its result, exit status and journal tail.
 */
export class DbusUnitManager implements UnitManager {
  readonly kind = "systemd";
  readonly cgroupDriver = "systemd";
  private readonly logger: Logger;
  private readonly startTimeoutMs: number;
  private readonly callTimeoutMs: number;
  private readonly pollMs: number;
  private session: Promise<Session> | undefined;

  constructor(private readonly options: DbusUnitManagerOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.startTimeoutMs = options.startTimeoutMs ?? 120_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.pollMs = options.pollMs ?? 50;
  }

  async start(spec: UnitSpec): Promise<UnitStatus> {
    await prepareStart(this, spec);

    const environment = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
    const properties = [
      ["Description", variant("s", spec.description)],
      ["ExecStart", variant("a(sasb)", [[spec.argv[0], literalArgv(spec.argv), false]])],
      ["Type", variant("s", "notify")],
      // the sandbox sends READY=1 from its own process; notifications from its children are accepted too
      ["NotifyAccess", variant("s", "all")],
      ["TimeoutStartUSec", variant("t", BigInt(Math.ceil(this.startTimeoutMs)) * 1000n)],
      ["KillMode", variant("s", "mixed")],
      ["WorkingDirectory", variant("s", spec.workingDirectory || "/")],
      ["Environment", variant("as", environment)],
      ...(spec.slice ? [["Slice", variant("s", spec.slice)]] : []),
    ];

    const s = await this.connect();
    await this.subscribe(s);
    // listen before asking: the job may finish before its path is known to us
    const jobs = this.watchJobs(s, spec.name);
    let result: string | undefined;
    try {
      const reply = await this.call(
        { ...manager("StartTransientUnit"), signature: "ssa(sv)a(sa(sv))", body: [spec.name, "fail", properties, []] },
        // started by someone else since the status check above
        (err) =>
          busErrorType(err) === "org.freedesktop.systemd1.UnitExists" ? alreadyExists(`unit ${spec.name} already exists`) : undefined,
      );
      const job = str(reply[0], "StartTransientUnit job");
      // systemd times the start out itself (TimeoutStartUSec); this is only a backstop
      result = (await jobs.wait((j) => j.job === job, Date.now() + this.startTimeoutMs + 10_000))?.result;
    } catch (err) {
      if (err instanceof BusClosedError) throw unavailable(`unit ${spec.name}: lost the D-Bus connection while starting it`, err);
      throw err instanceof RktletError ? err : unavailable(`unit ${spec.name}: ${message(err)}`, err);
    } finally {
      jobs.stop();
    }

    if (result !== "done") {
      // no word from systemd: do not leave a half-started unit behind
      if (result === undefined) await this.stop(spec.name, 5000).catch(() => undefined);
      const tail = await this.outputTail(spec.name);
      const status = await this.status(spec.name).catch(() => undefined);
      await this.reset(spec.name).catch(() => undefined);
      throw startFailure(spec.name, status, tail || (result === undefined ? "no start job result in time" : `start job ${result}`));
    }
    this.logger.info({ unit: spec.name, slice: spec.slice || "system.slice" }, "unit started");
    return startedStatus(spec.name, await this.status(spec.name));
  }

  async stop(name: string, graceMs: number): Promise<void> {
    if (!isRunning(await this.status(name))) return;
    const session = await this.connect();
    await this.subscribe(session);
    // the stop job ends when the unit has stopped: wake up on it rather than only on the poll interval
    const jobs = this.watchJobs(session, name);
    try {
      const reply = await this.callUnlessGone({ ...manager("StopUnit"), signature: "ss", body: [name, "replace"] });
      if (!reply) return;
      const job = str(reply[0], "StopUnit job");
      const stopped = (j: JobRemoved) => j.job === job;
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline) {
        if (!(await this.running(name))) return;
        await jobs.wait(stopped, Math.min(deadline, Date.now() + this.pollMs));
      }
      this.logger.warn({ unit: name, graceMs }, "unit did not stop in time, killing it");
      await this.callUnlessGone({ ...manager("KillUnit"), signature: "ssi", body: [name, "all", 9] });
      while (await this.running(name)) await jobs.wait(stopped, Date.now() + this.pollMs);
    } catch (err) {
      if (err instanceof BusClosedError) throw unavailable(`unit ${name}: lost the D-Bus connection while stopping it`, err);
      throw err instanceof RktletError ? err : unavailable(`unit ${name}: ${message(err)}`, err);
    } finally {
      jobs.stop();
    }
  }

  async setResources(name: string, resources: UnitResources): Promise<void> {
    if (!UNIT_NAME.test(name)) throw invalidArgument("unit.name", `"${name}" is not a safe service unit name`);
    const properties = [
      ...(resources.memoryMaxBytes !== undefined ? [["MemoryMax", variant("t", resources.memoryMaxBytes)]] : []),
      ...(resources.cpuWeight !== undefined ? [["CPUWeight", variant("t", resources.cpuWeight)]] : []),
      ...(resources.cpuQuotaPerSecUsec !== undefined ? [["CPUQuotaPerSecUSec", variant("t", resources.cpuQuotaPerSecUsec)]] : []),
    ];
    if (properties.length === 0) return;
    // runtime=true: the limits last as long as the unit (a transient one) does
    await this.call({ ...manager("SetUnitProperties"), signature: "sba(sv)", body: [name, true, properties] });
  }

  async reset(name: string): Promise<void> {
    const s = await this.status(name);
    if (!s || s.state === UnitActiveState.Active || s.state === UnitActiveState.Activating || s.state === UnitActiveState.Deactivating)
      return;
    await this.callUnlessGone({ ...manager("ResetFailedUnit"), signature: "s", body: [name] });
  }

  async status(name: string): Promise<UnitStatus | undefined> {
    if (!UNIT_NAME.test(name)) return undefined;
    const unit = await this.callUnlessGone({ ...manager("GetUnit"), signature: "s", body: [name] });
    if (!unit) return undefined;
    const path = str(unit[0], "GetUnit path");
    // one GetAll over every interface (as `systemctl show` does): a consistent snapshot. Separate Gets, even
    // pipelined, can straddle a state change and report e.g. "active" with the exited process's result.
    const all = await this.callUnlessGone({
      destination: SYSTEMD,
      path,
      interface: PROPERTIES,
      member: "GetAll",
      signature: "s",
      body: [""],
    });
    const props = all ? dict(all[0], "GetAll properties") : {};
    const [loadState, activeState, mainPid, execMainStatus, result] = [
      "LoadState",
      "ActiveState",
      "MainPID",
      "ExecMainStatus",
      "Result",
    ].map((p) => unwrap(props[p]));
    // unloaded between GetUnit and GetAll: systemd answers for a stub that is not-found
    return toUnitStatus(name, {
      ...(typeof loadState === "string" ? { loadState } : {}),
      ...(typeof activeState === "string" ? { activeState } : {}),
      mainPid: mainPid === undefined ? 0 : num(mainPid, "MainPID"),
      ...(execMainStatus !== undefined ? { execMainStatus: num(execMainStatus, "ExecMainStatus") } : {}),
      ...(typeof result === "string" ? { result } : {}),
    });
  }

  async list(): Promise<readonly UnitStatus[]> {
    const reply = await this.call({ ...manager("ListUnitsByPatterns"), signature: "asas", body: [[], ["rktlet-*"]] });
    const names = arr(reply[0], "ListUnitsByPatterns units")
      .map((u) => (Array.isArray(u) && typeof u[0] === "string" ? u[0] : ""))
      .filter((n) => UNIT_NAME.test(n));
    const statuses = await Promise.all(names.map((n) => this.status(n)));
    return statuses.filter((s): s is UnitStatus => s !== undefined);
  }

  /** Disconnects from the bus (the next call connects again). */
  async close(): Promise<void> {
    const pending = this.session;
    this.session = undefined;
    if (!pending) return;
    const s = await pending.catch(() => undefined);
    await s?.bus.close();
  }

  /** The unit's last journal lines, for error messages. */
  outputTail(name: string, lines = 20): Promise<string> {
    return journalTail(name, this.options.journalDirectory, lines);
  }

  private async running(name: string): Promise<boolean> {
    return isRunning(await this.status(name));
  }

  /** The open connection, or a new one if there is none or it dropped. */
  private async connect(): Promise<Session> {
    if (!this.session) {
      const opening: Promise<Session> = BusConnection.open(this.options.busAddress, this.callTimeoutMs).then((bus) => {
        bus.onClose((err) => {
          if (this.session !== opening) return; // closed by close()
          this.session = undefined;
          this.logger.warn({ err: err.message }, "D-Bus connection to systemd lost; the next call reconnects");
        });
        return { bus };
      });
      opening.catch(() => {
        if (this.session === opening) this.session = undefined;
      });
      this.session = opening;
    }
    try {
      return await this.session;
    } catch (err) {
      throw unavailable(`cannot reach systemd over D-Bus: ${message(err)}`, err);
    }
  }

  /** JobRemoved signals reach this connection from here on (Manager.Subscribe and a match rule, once per connection). */
  private subscribe(s: Session): Promise<void> {
    s.subscribed ??= (async () => {
      await s.bus.call({
        destination: "org.freedesktop.DBus",
        path: "/org/freedesktop/DBus",
        interface: "org.freedesktop.DBus",
        member: "AddMatch",
        signature: "s",
        body: [JOB_REMOVED_MATCH],
      });
      await s.bus.call(manager("Subscribe"));
    })().catch((err: unknown) => {
      s.subscribed = undefined;
      throw unavailable(`cannot subscribe to systemd's signals: ${message(err)}`, err);
    });
    return s.subscribed;
  }

  /** Collects the JobRemoved signals of one unit until stopped; fails waits when the connection drops. */
  private watchJobs(s: Session, unit: string): JobWatch {
    const watch = new JobWatch();
    const offSignal = s.bus.onSignal((sig: Signal) => {
      if (sig.interface !== MANAGER || sig.member !== "JobRemoved" || sig.path !== SYSTEMD_PATH) return;
      // JobRemoved(u id, o job, s unit, s result)
      const [, job, u, result] = sig.body;
      if (u === unit && typeof job === "string" && typeof result === "string") watch.push({ job, unit: u, result });
    });
    const offClose = s.bus.onClose((err) => watch.fail(err));
    watch.onStop(() => {
      offSignal();
      offClose();
    });
    return watch;
  }

  /** One method call on the (re)opened connection; `map` may turn an error into another; else it is Unavailable. */
  private async call(c: CallOptions, map?: (err: unknown) => RktletError | undefined): Promise<Body> {
    const s = await this.connect();
    try {
      return await s.bus.call(c, this.callTimeoutMs);
    } catch (err) {
      throw map?.(err) ?? unavailable(`systemd ${c.member} failed: ${message(err)}`, err);
    }
  }

  /** A call about one unit: undefined when there is no such unit. */
  private async callUnlessGone(c: CallOptions): Promise<Body | undefined> {
    const s = await this.connect();
    try {
      return await s.bus.call(c, this.callTimeoutMs);
    } catch (err) {
      if (GONE.has(busErrorType(err) ?? "")) return undefined;
      throw unavailable(`systemd ${c.member} failed: ${message(err)}`, err);
    }
  }
}

const manager = (member: string): CallOptions => ({ destination: SYSTEMD, path: SYSTEMD_PATH, interface: MANAGER, member });

const busErrorType = (err: unknown): string | undefined => (err instanceof BusError ? err.type : undefined);

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const unavailable = (message: string, cause: unknown): RktletError => new RktletError(ErrorKind.Unavailable, message, { cause });

/** JobRemoved signals of one unit, buffered, with one waiter at a time. */
class JobWatch {
  private readonly seen: JobRemoved[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private stopHook: (() => void) | undefined;

  push(j: JobRemoved): void {
    this.seen.push(j);
    this.wake?.();
  }

  fail(err: Error): void {
    this.failure = err;
    this.wake?.();
  }

  onStop(hook: () => void): void {
    this.stopHook = hook;
  }

  stop(): void {
    this.stopHook?.();
    this.stopHook = undefined;
  }

  /** The first matching job seen (taken out of the buffer), or undefined at the deadline. */
  async wait(match: (j: JobRemoved) => boolean, deadline: number): Promise<JobRemoved | undefined> {
    for (;;) {
      const i = this.seen.findIndex(match);
      if (i >= 0) return this.seen.splice(i, 1)[0];
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
