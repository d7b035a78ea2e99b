/** @rktlet/adapters-systemd: the UnitManager port as systemd transient services. */

export { systemdBooted } from "./booted";
export { SystemdUnitManager, type SystemdUnitManagerOptions } from "./systemd-unit-manager";
