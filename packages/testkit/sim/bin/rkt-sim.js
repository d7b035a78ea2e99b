#!/usr/bin/env node
// The `rkt-sim` command. A checked-in file (not the build output) so that npm can link it at install time,
// before the workspace's `prepare` step has built dist/.
require("../dist/bin/rkt-sim.js");
