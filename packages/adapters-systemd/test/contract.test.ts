import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SystemdUnitManager } from "@rktlet/adapters-systemd";
import { describeWithSystemd, showProperties, systemdSetup } from "../../../test/systemd-env";
import { unitManagerContract } from "../../../test/unit-manager-contract";

describeWithSystemd("SystemdUnitManager against a real systemd", () => {
  const dir = mkdtempSync(join(systemdSetup().sharedDir, "contract-systemd-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  unitManagerContract({
    name: "systemd",
    make: () => new SystemdUnitManager({ journalDirectory: systemdSetup().journalDirectory, startTimeoutMs: 20_000 }),
    runs: true,
    properties: showProperties,
    dir: () => dir,
    // notify units must say they are ready; --pid names the shell, which stays the main process
    command: (script) => ["/bin/sh", "-c", `systemd-notify --ready --pid=$$; ${script}`],
  });
});
