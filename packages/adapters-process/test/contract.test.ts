import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessUnitManager } from "@rktlet/adapters-process";
import { unitManagerContract } from "../../../test/unit-manager-contract";

const dir = mkdtempSync(join(tmpdir(), "contract-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

unitManagerContract({
  name: "process supervisor",
  make: () => new ProcessUnitManager({ stateDir: join(dir, "state"), pollMs: 10 }),
  runs: true,
  dir: () => dir,
  command: (script) => ["/bin/sh", "-c", script],
});
