import { FakeUnitManager } from "@rktlet/testkit";
import { unitManagerContract } from "../../../test/unit-manager-contract";

/** One fake shared by every "manager" the suite makes: the fake's state is its memory. */
const shared = new FakeUnitManager();

unitManagerContract({
  name: "testkit fake",
  make: () => shared,
  runs: false,
  dir: () => "/",
  command: (script) => ["/bin/sh", "-c", script],
});
