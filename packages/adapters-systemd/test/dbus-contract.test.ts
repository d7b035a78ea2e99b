import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DbusUnitManager } from "@rktlet/adapters-systemd";
import { describeWithSystemd, showProperties, systemdSetup } from "../../../test/systemd-env";
import { unitManagerContract } from "../../../test/unit-manager-contract";

describeWithSystemd("DbusUnitManager against a real systemd", () => {
  const dir = mkdtempSync(join(systemdSetup().sharedDir, "contract-dbus-"));
  // every manager the contract makes holds a bus connection: close them all at the end
  const made: DbusUnitManager[] = [];
  afterAll(async () => {
    await Promise.all(made.map((m) => m.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  unitManagerContract({
    name: "systemd-dbus",
    make: () => {
      const m = new DbusUnitManager({ journalDirectory: systemdSetup().journalDirectory, startTimeoutMs: 20_000 });
      made.push(m);
      return m;
    },
    runs: true,
    properties: showProperties,
    dir: () => dir,
    // notify units must say they are ready; --pid names the shell, which stays the main process
    command: (script) => ["/bin/sh", "-c", `systemd-notify --ready --pid=$$; ${script}`],
  });
});
