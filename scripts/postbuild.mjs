// tsc does not keep the executable bit; npm links bins before `prepare` builds them, so set it here.
import { chmodSync, existsSync } from "node:fs";

for (const bin of ["packages/cri-server/dist/bin/rktlet.js", "packages/testkit/sim/dist/bin/rkt-sim.js"])
  if (existsSync(bin)) chmodSync(bin, 0o755);
