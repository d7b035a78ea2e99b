import { parseArgs } from "node:util";
import { ConfigError } from "../config/file";
import { chooseConfigFile, HELP_HINT, type Resolved, resolveOptions, type Sources } from "../config/resolve";
import { type DaemonOptions, DEFAULTS } from "../config/schema";
import { CONFIG_ENV, DEFAULT_CONFIG_PATH, SETTINGS, type SettingKey } from "../config/settings";

export { ConfigError } from "../config/file";
export type { Sources } from "../config/resolve";
export { type DaemonOptions, DEFAULTS, optionsSchema } from "../config/schema";

export const HELP = `rktlet: a Kubernetes CRI runtime for the rkt engine

Usage:
  rktlet [flags]                run the daemon
  rktlet doctor [flags]         check this host for what the daemon needs with these settings, and say
                                what to fix
  rktlet config default         print a configuration file with every setting at its default, commented
  rktlet config check [FILE]    validate a configuration file (default: the one --config names)
  rktlet version                print the version (also --version)

Every setting below comes from, first match wins: its flag; its environment variable, RKTLET_ and the
flag's name in capitals with _ for - (RKTLET_RKT_DATA_DIR for --rkt-data-dir); the configuration file
(TOML, sections [server] [rkt] [streaming] [metrics] [log], snake_case keys; see rktlet config default);
the built-in default.

Configuration:
  --config FILE                 the configuration file, also ${CONFIG_ENV}; "" reads none (default
                                ${DEFAULT_CONFIG_PATH}, skipped when missing unless named explicitly)

Server:
  --listen PATH                 unix socket to serve the CRI on (default ${DEFAULTS.listen})
  --backend rkt|fake            rkt runs pods with rkt; fake keeps everything in memory, for trying
                                rktlet and for testing CRI clients (default ${DEFAULTS.backend})
  --stream-server-address HOST:PORT
                                where the exec/attach/port-forward server listens; port 0 picks a free
                                one (default ${DEFAULTS.streamServerAddress})
  --stream-tls-cert FILE, --stream-tls-key FILE
                                serve exec/attach/port-forward over https with this PEM pair
  --stream-idle-timeout SECONDS a streaming session with no traffic for this long is closed
                                (default ${DEFAULTS.streamIdleTimeoutSeconds}, kubelet's 4h)
  --metrics-address HOST:PORT   serve Prometheus metrics at http://HOST:PORT/metrics; port 0 picks a free
                                one (default: off)
  --shutdown-grace SECONDS      how long in-flight calls may finish on SIGTERM (default ${DEFAULTS.shutdownGraceSeconds})

rkt:
  --rkt-path PATH               the rkt binary (default ${DEFAULTS.rktPath})
  --rkt-data-dir DIR            rkt's --dir (default ${DEFAULTS.rktDataDir})
  --rkt-stage1-name NAME        stage1 image for pods, fetched at start-up if missing (default: rkt's own)
  --rkt-stage1-allowed LIST     stage1 images pods may pick with the rkt.alpha.kubernetes.io/stage1-name-override
                                annotation (default: none; the annotation is refused)
  --rkt-insecure-options LIST   rkt --insecure-options; add http,tls for a registry on a private
                                network (default ${DEFAULTS.rktInsecureOptions})
  --rkt-shared-mount BOOL       make --rkt-data-dir a shared mount at start-up, as rkt needs (default ${DEFAULTS.rktSharedMount})
  --net NAME                    rkt network for pods (default ${DEFAULTS.net})
  --pod-log-root DIR            pod log directories must be under it, as kubelet's are (default ${DEFAULTS.podLogRoot})
  --state-dir DIR               rktlet's own state: container records, log progress, units (default ${DEFAULTS.stateDir})
  --unit-manager KIND           what runs each pod's \`rkt app sandbox\`: systemd (a transient service),
                                process (a supervised process), or auto: systemd when the host runs it
                                (default ${DEFAULTS.unitManager})
  --systemd-transport dbus|cli  how the systemd unit manager talks to systemd: the system bus
                                (DBUS_SYSTEM_BUS_ADDRESS when set), or systemd-run/systemctl (default ${DEFAULTS.systemdTransport})

Logging and info:
  --log-level LEVEL             trace|debug|info|warn|error|fatal|silent (default ${DEFAULTS.logLevel})
  --version                     print the version and exit
  --help, -h                    print this help and exit
`;

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; options: DaemonOptions; configFile?: string | undefined }
  | { kind: "doctor"; options: DaemonOptions; configFile?: string | undefined }
  | { kind: "config-default" }
  | { kind: "config-check"; file: string };

const COMMANDS = "config default, config check [FILE], doctor and version (or none, to run the daemon)";

const flagOptions = Object.fromEntries(SETTINGS.map((x) => [x.flag.slice(2), { type: "string" as const }]));

/** parseArgs' messages go on to explain `--`; the first sentence is the one that helps. */
function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...flagOptions, config: { type: "string" }, version: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    const message = (err as Error).message;
    throw new ConfigError(message.split(/\.\s/)[0] ?? message, HELP_HINT);
  }
}

/**
 * Parses argv (without node and script) and, for the daemon and doctor, resolves the settings from flags,
 * environment (`sources.env`, none by default), config file and defaults. Throws a ConfigError whose message is
 * one line naming the flag, variable or file key.
 */
export function parseCommandLine(argv: readonly string[], sources: Sources = {}): Command {
  const { values, positionals } = parseFlags(argv);
  if (values.help || positionals[0] === "help") return { kind: "help" };
  if (values.version || positionals[0] === "version") {
    if (positionals.length > 1) throw new ConfigError(`version: unexpected ${JSON.stringify(positionals[1])}`, HELP_HINT);
    return { kind: "version" };
  }
  const given = values as Record<string, string | boolean | undefined>;
  const flags: Partial<Record<SettingKey, string>> = {};
  for (const x of SETTINGS) {
    const v = given[x.flag.slice(2)];
    if (typeof v === "string") flags[x.key] = v;
  }
  const config = typeof values.config === "string" ? values.config : undefined;
  const [first, second, ...more] = positionals;
  if (first === "config") {
    // The file commands read one file and nothing else, so daemon flags here would be silently meaningless.
    const stray = SETTINGS.find((x) => flags[x.key] !== undefined);
    if (stray) throw new ConfigError(`${stray.flag}: not used by "rktlet config"`, HELP_HINT);
    if (second === "default" && more.length === 0) {
      if (config !== undefined) throw new ConfigError(`--config: not used by "rktlet config default"`, HELP_HINT);
      return { kind: "config-default" };
    }
    if (second === "check" && more.length <= 1) {
      return { kind: "config-check", file: more[0] ?? chooseConfigFile(config, sources.env ?? {}).path ?? DEFAULT_CONFIG_PATH };
    }
    const what = second === undefined ? "config: needs a subcommand" : `config ${positionals.slice(1).join(" ")}: not a config command`;
    throw new ConfigError(`${what}; use "config default" or "config check [FILE]"`, HELP_HINT);
  }
  if (first !== undefined && first !== "doctor")
    throw new ConfigError(`unknown command ${JSON.stringify(first)}; the commands are ${COMMANDS}`, HELP_HINT);
  if (second !== undefined) throw new ConfigError(`${first}: unexpected ${JSON.stringify(second)}`, HELP_HINT);
  const resolved: Resolved = resolveOptions(flags, config, sources);
  return { kind: first === "doctor" ? "doctor" : "run", options: resolved.options, configFile: resolved.configFile };
}
