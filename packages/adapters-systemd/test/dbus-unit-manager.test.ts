import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { DbusUnitManager } from "@rktlet/adapters-systemd";
import type { UnitSpec } from "@rktlet/core";
import execa from "execa";
import { describeWithSystemd, systemdSetup } from "../../../test/systemd-env";

/** What the D-Bus transport adds over the CLI one: literal argv, slices, failure reports, the connection's life. */
describeWithSystemd("DbusUnitManager specifics", () => {
  const setup = systemdSetup();
  const dir = mkdtempSync(join(setup.sharedDir, "dbus-units-"));
  const made: DbusUnitManager[] = [];
  const started: string[] = [];
  let seq = 0;
  const name = (what: string) => `rktlet-dbus-${process.pid}-${what}-${seq++}.service`;
  const make = (busAddress?: string) => {
    const m = new DbusUnitManager({ journalDirectory: setup.journalDirectory, startTimeoutMs: 20_000, busAddress });
    made.push(m);
    return m;
  };
  const spec = (unit: string, script: string, extra: Partial<UnitSpec> = {}): UnitSpec => {
    started.push(unit);
    return {
      name: unit,
      description: `dbus test ${unit}`,
      argv: ["/bin/sh", "-c", `systemd-notify --ready --pid=$$; ${script}`],
      env: {},
      slice: "",
      workingDirectory: dir,
      ...extra,
    };
  };
  const until = async (check: () => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const show = async (unit: string, props: string[]) => {
    const r = await execa("systemctl", ["show", unit, "-p", props.join(",")]);
    return Object.fromEntries(r.stdout.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  };

  let units: DbusUnitManager;
  beforeAll(() => {
    units = make();
  });
  afterEach(async () => {
    const cleaner = make();
    for (const u of started.splice(0)) {
      await cleaner.stop(u, 2000).catch(() => undefined);
      await cleaner.reset(u).catch(() => undefined);
    }
  });
  afterAll(async () => {
    await Promise.all(made.map((m) => m.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("argv reaches the command literally: systemd expands no $VAR, braced variable or $$ in it", async () => {
    const u = name("argv");
    const out = join(dir, `${u}.out`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a template
    const literal = ["$HOME", "$$", "${HOME}", "a$HOME$", "$"];
    // HOME is set in the unit's environment, so an expansion would show
    const s = spec(u, `printf '%s\\n' "$@" > ${out}.tmp && mv ${out}.tmp ${out}; sleep 30`, { env: { HOME: "/expanded" } });
    await units.start({ ...s, argv: [...s.argv, "sh", ...literal] });
    await until(() => existsSync(out));
    expect(readFileSync(out, "utf8").split("\n").slice(0, -1)).toEqual(literal);
  });

  test("a unit goes into the slice it asks for, with the start timeout as TimeoutStartUSec (a uint64)", async () => {
    const u = name("slice");
    const s = await units.start(spec(u, "sleep 30", { slice: "rktlet-test.slice" }));
    expect(s).toMatchObject({ name: u, state: "active" });
    expect(await show(u, ["Slice", "TimeoutStartUSec", "Type", "NotifyAccess", "KillMode", "WorkingDirectory"])).toEqual({
      Slice: "rktlet-test.slice",
      TimeoutStartUSec: "20s",
      Type: "notify",
      NotifyAccess: "all",
      KillMode: "mixed",
      WorkingDirectory: dir,
    });
    await units.stop(u, 5000);
    await execa("systemctl", ["stop", "rktlet-test.slice"], { reject: false });
  });

  test("a command that fails before notifying: Unavailable with its own stderr, and no unit left behind", async () => {
    const u = name("boom");
    // no systemd-notify: the command exits before saying it is ready
    const err = await units.start({ ...spec(u, ""), argv: ["/bin/sh", "-c", "echo boom-text >&2; exit 4"] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "Unavailable" });
    const message = (err as Error).message;
    expect(message).toContain(`unit ${u} failed to start (exit-code, exit status 4)`);
    expect(message).toContain("boom-text");
    expect(await units.status(u)).toBeUndefined();
    expect((await units.list()).map((x) => x.name)).not.toContain(u);
  });

  test("close() disconnects; the next call connects again", async () => {
    const m = make();
    const u = name("reconnect");
    await m.start(spec(u, "sleep 30"));
    await m.close();
    await m.close(); // idempotent
    expect((await m.status(u))?.state).toBe("active");
    await m.stop(u, 5000);
    expect(["inactive", "failed", undefined]).toContain((await m.status(u))?.state);
  });

  test("an unreachable bus is Unavailable, quickly, and nothing is left pending", async () => {
    const m = make(`unix:path=${join(dir, "no-such.sock")}`);
    await expect(m.status(name("x"))).rejects.toMatchObject({ kind: "Unavailable", message: expect.stringContaining("ENOENT") });
    await expect(m.list()).rejects.toMatchObject({ kind: "Unavailable" });
  });

  describe("when the bus connection drops (through a proxy we can cut)", () => {
    const upstream = /(?:^|;)unix:path=([^,;]+)/.exec(
      process.env.DBUS_SYSTEM_BUS_ADDRESS ?? "unix:path=/var/run/dbus/system_bus_socket",
    )?.[1];
    const proxyPath = join(dir, "bus.sock");
    const links = new Set<Socket>();
    let accepted = 0;
    let server: Server;
    beforeAll(async () => {
      server = createServer((client) => {
        accepted++;
        const up = createConnection(upstream ?? "");
        for (const s of [client, up]) {
          links.add(s);
          s.on("close", () => links.delete(s));
          s.on("error", () => undefined);
        }
        client.pipe(up).pipe(client);
        client.on("close", () => up.destroy());
        up.on("close", () => client.destroy());
      });
      await new Promise<void>((resolve) => server.listen(proxyPath, resolve));
    });
    afterAll(async () => {
      for (const s of links) s.destroy();
      await new Promise((r) => server.close(r));
    });
    const cut = () => {
      for (const s of links) s.destroy();
    };

    test("the next call reconnects", async () => {
      const m = make(`unix:path=${proxyPath}`);
      const before = accepted;
      expect(await m.list()).toBeDefined();
      expect(accepted).toBe(before + 1);
      await m.status(name("unknown"));
      expect(accepted).toBe(before + 1); // one connection, reused
      cut();
      await new Promise((r) => setTimeout(r, 50));
      expect(await m.status(name("unknown"))).toBeUndefined();
      expect(accepted).toBe(before + 2);
    });

    test("a start waiting for its job fails with Unavailable, not hangs", async () => {
      const m = make(`unix:path=${proxyPath}`);
      const u = name("cut");
      const starting = m.start({
        ...spec(u, "sleep 30"),
        argv: ["/bin/sh", "-c", "sleep 1.5; systemd-notify --ready --pid=$$; sleep 30"],
      });
      setTimeout(cut, 500);
      await expect(starting).rejects.toMatchObject({ kind: "Unavailable", message: expect.stringContaining("lost the D-Bus connection") });
    });
  });
});
