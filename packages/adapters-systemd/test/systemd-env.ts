/**
 * The systemd the integration tests talk to: the host's, or the one `.ci/systemd.sh start` boots beside the
 * tests (its environment lines exported). CI sets RKTLET_REQUIRE_SYSTEMD=1, so there a missing systemd
 * fails the run; on a developer machine without one the suite is skipped with the reason printed.
 */
export function systemdSetup(): { available: boolean; why: string; journalDirectory?: string } {
  const leader = process.env.RKTLET_TEST_SYSTEMD_LEADER;
  if (!process.env.DBUS_SYSTEM_BUS_ADDRESS && !require("node:fs").existsSync("/run/systemd/private")) {
    return { available: false, why: 'no systemd: run `eval "$(.ci/systemd.sh start)"` (root, systemd-container installed) first' };
  }
  return { available: true, why: "", ...(leader ? { journalDirectory: `/proc/${leader}/root/var/log/journal` } : {}) };
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
