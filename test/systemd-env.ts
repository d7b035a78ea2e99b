import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import execa from "execa";

/**
 * The systemd the integration tests talk to: the host's, or the one `.ci/systemd.sh start` boots beside the
 * tests (its environment lines exported). CI sets RKTLET_REQUIRE_SYSTEMD=1, so there a missing systemd
 * fails the run; on a developer machine without one the suite is skipped with the reason printed.
 */
export interface SystemdSetup {
  readonly available: boolean;
  readonly why: string;
  /** A directory the units see at the same path (the booted systemd does not share the host's /tmp). */
  readonly sharedDir: string;
  /** The booted systemd's pid on the host, when it runs in a container beside the tests. */
  readonly leader?: number;
  readonly journalDirectory?: string;
}

export function systemdSetup(): SystemdSetup {
  const sharedDir = process.env.RKTLET_TEST_SHARED_DIR ?? tmpdir();
  const leader = Number(process.env.RKTLET_TEST_SYSTEMD_LEADER ?? "");
  if (!process.env.DBUS_SYSTEM_BUS_ADDRESS && !existsSync("/run/systemd/private")) {
    return {
      available: false,
      sharedDir,
      why: 'no systemd: run `eval "$(.ci/systemd.sh start)"` (root, systemd-container installed) first',
    };
  }
  if (leader > 0 && !existsSync(`/proc/${leader}`)) {
    return { available: false, sharedDir, why: `the systemd booted by .ci/systemd.sh (pid ${leader}) is gone: start it again` };
  }
  return {
    available: true,
    why: "",
    sharedDir,
    ...(leader > 0 ? { leader, journalDirectory: `/proc/${leader}/root/var/log/journal` } : {}),
  };
}

export function describeWithSystemd(title: string, body: () => void): void {
  const s = systemdSetup();
  if (s.available) {
    describe(title, body);
    return;
  }
  if (process.env.RKTLET_REQUIRE_SYSTEMD === "1") {
    test(title, () => {
      throw new Error(`systemd is required here (RKTLET_REQUIRE_SYSTEMD=1) but ${s.why}`);
    });
    return;
  }
  console.warn(`skipping "${title}": ${s.why}`);
  describe.skip(title, body);
}

/** Unit properties as `systemctl show` reports them. */
export async function showProperties(unit: string, names: readonly string[]): Promise<Record<string, string>> {
  const { stdout } = await execa("systemctl", ["show", unit, "-p", names.join(",")], { reject: false });
  return Object.fromEntries(
    stdout
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}
