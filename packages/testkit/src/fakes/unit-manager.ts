import { alreadyExists, invalidArgument, UnitActiveState, type UnitManager, type UnitSpec, type UnitStatus } from "@rktlet/core";
import { Faults } from "./fault-injection";

/** In-memory units: start makes them active, stop inactive, reset forgets them. */
export class FakeUnitManager implements UnitManager {
  readonly kind = "fake";
  readonly cgroupDriver = "cgroupfs";
  readonly faults = new Faults<"start" | "stop" | "reset" | "status" | "list">();
  readonly specs = new Map<string, UnitSpec>();
  private readonly units = new Map<string, UnitStatus>();
  private nextPid = 1000;

  async start(spec: UnitSpec): Promise<UnitStatus> {
    this.faults.check("start");
    // the same rule as the real managers: unit names end up in paths and command lines
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,200}$/.test(spec.name))
      throw invalidArgument("unit.name", `"${spec.name}" is not a safe unit name`);
    const current = this.units.get(spec.name);
    if (current && (current.state === UnitActiveState.Active || current.state === UnitActiveState.Activating)) {
      throw alreadyExists(`unit ${spec.name} is already running`);
    }
    const status: UnitStatus = {
      name: spec.name,
      state: UnitActiveState.Active,
      mainPid: this.nextPid++,
      exitCode: undefined,
      result: "success",
    };
    this.specs.set(spec.name, spec);
    this.units.set(spec.name, status);
    return status;
  }

  async stop(name: string, _graceMs: number): Promise<void> {
    this.faults.check("stop");
    const u = this.units.get(name);
    if (u && u.state !== UnitActiveState.Inactive && u.state !== UnitActiveState.Failed) {
      this.units.set(name, { ...u, state: UnitActiveState.Inactive, mainPid: 0, exitCode: 0, result: "success" });
    }
  }

  /** Makes a unit fail as if its main process exited with `exitCode`. */
  fail(name: string, exitCode: number): void {
    const u = this.units.get(name);
    if (u) this.units.set(name, { ...u, state: UnitActiveState.Failed, mainPid: 0, exitCode, result: "exit-code" });
  }

  async reset(name: string): Promise<void> {
    this.faults.check("reset");
    const u = this.units.get(name);
    if (u && (u.state === UnitActiveState.Inactive || u.state === UnitActiveState.Failed)) {
      this.units.delete(name);
      this.specs.delete(name);
    }
  }

  async status(name: string): Promise<UnitStatus | undefined> {
    this.faults.check("status");
    return this.units.get(name);
  }

  async list(): Promise<readonly UnitStatus[]> {
    this.faults.check("list");
    return [...this.units.values()];
  }
}
