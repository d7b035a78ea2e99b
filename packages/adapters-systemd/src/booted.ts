import { existsSync } from "node:fs";

/** What sd_booted() checks: is this host run by systemd (so that systemd-run and systemctl work)? */
export function systemdBooted(): boolean {
  return existsSync("/run/systemd/system");
}
