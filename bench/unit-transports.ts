/**
 * The two systemd UnitManager transports side by side, against a running systemd (the host's, or the one
 * `.ci/systemd.sh start` boots; its DBUS_SYSTEM_BUS_ADDRESS exported): SystemdUnitManager runs a
 * `systemd-run`/`systemctl` process per step, DbusUnitManager talks D-Bus over one connection. Each round
 * starts a notify unit, reads its status, stops it (grace 5s) and resets it; rounds alternate between the
 * transports. Prints p50/p90/max in milliseconds per transport, of the round and of each step.
 *
 *   npm run bench:units -- [rounds]
 */
import { DbusUnitManager, SystemdUnitManager } from "@rktlet/adapters-systemd";
import type { UnitManager, UnitSpec } from "@rktlet/core";
import { timeMs } from "./stats";

const STEPS = ["start", "status", "stop", "reset"] as const;
type Step = (typeof STEPS)[number];

function figures(samples: readonly number[]): { p50: number; p90: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { p50: round(at(0.5)), p90: round(at(0.9)), max: round(s[s.length - 1] ?? Number.NaN) };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 30);
  const warmup = 2;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer, not ${process.argv[2]}`);
  const leader = process.env.RKTLET_TEST_SYSTEMD_LEADER;
  const journalDirectory = leader ? `/proc/${leader}/root/var/log/journal` : undefined;
  const dbus = new DbusUnitManager({ journalDirectory, startTimeoutMs: 20_000 });
  const transports: { name: string; units: UnitManager }[] = [
    { name: "cli (systemd-run/systemctl)", units: new SystemdUnitManager({ journalDirectory, startTimeoutMs: 20_000 }) },
    { name: "d-bus (dbus-next)", units: dbus },
  ];
  const samples = new Map<string, Map<Step | "round", number[]>>(
    transports.map((t) => [t.name, new Map([...STEPS, "round" as const].map((s) => [s, []]))]),
  );
  const leftovers = new Set<string>();
  let seq = 0;
  try {
    for (let i = 0; i < warmup + rounds; i++) {
      for (const t of transports) {
        const spec: UnitSpec = {
          name: `rktlet-bench-${process.pid}-${seq++}.service`,
          description: "rktlet unit transport benchmark",
          // with the CLI manager the `$` is escaped by the manager itself; over D-Bus too
          argv: ["/bin/sh", "-c", "systemd-notify --ready --pid=$$; sleep 60"],
          env: {},
          slice: "",
          workingDirectory: "/",
        };
        leftovers.add(spec.name);
        const took: Record<Step, number> = {
          start: await timeMs(() => t.units.start(spec)),
          status: await timeMs(async () => {
            const s = await t.units.status(spec.name);
            if (s?.state !== "active" || s.mainPid <= 0) throw new Error(`${t.name}: ${spec.name} is not running: ${JSON.stringify(s)}`);
          }),
          stop: await timeMs(() => t.units.stop(spec.name, 5000)),
          reset: await timeMs(() => t.units.reset(spec.name)),
        };
        if ((await t.units.status(spec.name)) !== undefined) throw new Error(`${t.name}: ${spec.name} left behind`);
        leftovers.delete(spec.name);
        if (i < warmup) continue;
        const mine = samples.get(t.name)!;
        for (const s of STEPS) mine.get(s)!.push(took[s]);
        mine.get("round")!.push(STEPS.reduce((sum, s) => sum + took[s], 0));
      }
    }
    console.log(
      `${rounds} rounds per transport (after ${warmup} warm-up rounds), milliseconds; systemd over ${process.env.DBUS_SYSTEM_BUS_ADDRESS ?? "the default system bus"}`,
    );
    console.table(transports.flatMap((t) => [...samples.get(t.name)!].map(([step, ms]) => ({ transport: t.name, step, ...figures(ms) }))));
  } finally {
    for (const name of leftovers) {
      await dbus.stop(name, 2000).catch(() => undefined);
      await dbus.reset(name).catch(() => undefined);
    }
    await dbus.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
