import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSharedMount, mountState } from "@rktlet/adapters-rkt";

/** rkt needs mount propagation from its data directory; rktlet makes it a shared bind mount (needs root, as rktlet does). */
describe("ensureSharedMount", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "shared-"));
  });
  afterEach(() => {
    for (let i = 0; i < 3; i++) {
      try {
        execFileSync("umount", [dir], { stdio: "ignore" });
      } catch {
        break;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("a plain directory becomes a shared mount point; a second call changes nothing", async () => {
    expect(await mountState(dir)).toEqual({ mountPoint: false, shared: false });
    expect(await ensureSharedMount(dir)).toBe("made");
    expect(await mountState(dir)).toEqual({ mountPoint: true, shared: true });
    expect(await ensureSharedMount(dir)).toBe("already");
  });

  test("a private mount point is made shared without stacking another bind mount", async () => {
    execFileSync("mount", ["--bind", dir, dir]);
    execFileSync("mount", ["--make-private", dir]);
    expect(await mountState(dir)).toEqual({ mountPoint: true, shared: false });
    expect(await ensureSharedMount(dir)).toBe("made");
    expect(await mountState(dir)).toEqual({ mountPoint: true, shared: true });
  });
});
