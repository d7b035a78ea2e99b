/** @rktlet/adapters-systemd: the UnitManager port as systemd transient services. */

export { systemdBooted } from "./booted";
export { DbusUnitManager, type DbusUnitManagerOptions } from "./dbus-unit-manager";
export { SystemdUnitManager, type SystemdUnitManagerOptions } from "./systemd-unit-manager";
