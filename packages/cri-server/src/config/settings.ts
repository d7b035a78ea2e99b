import type { DaemonOptions } from "./schema";

export type SettingKey = keyof DaemonOptions;

/** How a setting is written in the TOML file; flags and environment variables are always text. */
export type FileKind = "string" | "number" | "boolean" | "list";

export const SECTIONS = ["server", "rkt", "streaming", "metrics", "log"] as const;
export type Section = (typeof SECTIONS)[number];

export interface Setting {
  readonly key: SettingKey;
  readonly flag: string;
  readonly section: Section;
  /** The key inside its section, snake_case. */
  readonly name: string;
  readonly kind: FileKind;
  /** One line, for `rktlet config default`. */
  readonly comment: string;
}

export const DEFAULT_CONFIG_PATH = "/etc/rktlet/config.toml";
export const CONFIG_ENV = "RKTLET_CONFIG";

const s = (key: SettingKey, flag: string, section: Section, name: string, kind: FileKind, comment: string): Setting => ({
  key,
  flag,
  section,
  name,
  kind,
  comment,
});

/** Every setting once, in the order of the file; the names of each source are derived from this table. */
export const SETTINGS: readonly Setting[] = [
  s("listen", "--listen", "server", "listen", "string", "unix socket the CRI is served on (kubelet's containerRuntimeEndpoint)"),
  s(
    "backend",
    "--backend",
    "server",
    "backend",
    "string",
    'rkt runs pods with rkt; "fake" keeps everything in memory, for trying CRI clients',
  ),
  s("stateDir", "--state-dir", "server", "state_dir", "string", "rktlet's own state: container records, log progress, units"),
  s(
    "shutdownGraceSeconds",
    "--shutdown-grace",
    "server",
    "shutdown_grace",
    "number",
    "seconds in-flight calls may take to finish on SIGTERM",
  ),
  s("rktPath", "--rkt-path", "rkt", "path", "string", "the rkt binary"),
  s("rktDataDir", "--rkt-data-dir", "rkt", "data_dir", "string", "rkt's --dir"),
  s(
    "rktStage1Name",
    "--rkt-stage1-name",
    "rkt",
    "stage1_name",
    "string",
    'stage1 image for pods, fetched at start-up if missing ("": rkt\'s own)',
  ),
  s(
    "rktStage1Allowed",
    "--rkt-stage1-allowed",
    "rkt",
    "stage1_allowed",
    "list",
    "stage1 images pods may pick with the rkt.alpha.kubernetes.io/stage1-name-override annotation",
  ),
  s(
    "rktInsecureOptions",
    "--rkt-insecure-options",
    "rkt",
    "insecure_options",
    "list",
    "rkt --insecure-options; add http and tls for a private registry",
  ),
  s("rktSharedMount", "--rkt-shared-mount", "rkt", "shared_mount", "boolean", "make data_dir a shared mount at start-up, as rkt needs"),
  s("net", "--net", "rkt", "net", "string", "rkt network for pods"),
  s("podLogRoot", "--pod-log-root", "rkt", "pod_log_root", "string", "pod log directories must be under it, as kubelet's are"),
  s("unitManager", "--unit-manager", "rkt", "unit_manager", "string", "what runs each pod's rkt app sandbox: systemd, process, or auto"),
  s(
    "systemdTransport",
    "--systemd-transport",
    "rkt",
    "systemd_transport",
    "string",
    "how to talk to systemd: dbus (the system bus) or cli",
  ),
  s(
    "streamServerAddress",
    "--stream-server-address",
    "streaming",
    "address",
    "string",
    "HOST:PORT of the exec/attach/port-forward server; port 0 picks one",
  ),
  s("streamTlsCert", "--stream-tls-cert", "streaming", "tls_cert", "string", 'PEM certificate for https; with tls_key ("": plain http)'),
  s("streamTlsKey", "--stream-tls-key", "streaming", "tls_key", "string", "PEM private key for https; with tls_cert"),
  s("streamIdleTimeoutSeconds", "--stream-idle-timeout", "streaming", "idle_timeout", "number", "seconds a session may go without traffic"),
  s(
    "metricsAddress",
    "--metrics-address",
    "metrics",
    "address",
    "string",
    'HOST:PORT serving Prometheus /metrics over plain http ("": off)',
  ),
  s("logLevel", "--log-level", "log", "level", "string", "trace, debug, info, warn, error, fatal or silent"),
];

export const SETTING_OF = Object.fromEntries(SETTINGS.map((x) => [x.key, x])) as Record<SettingKey, Setting>;

/** `--rkt-data-dir` → `RKTLET_RKT_DATA_DIR`: one rule, so the names need no table of their own. */
export const envName = (flag: string): string => `RKTLET_${flag.replace(/^--/, "").toUpperCase().replace(/-/g, "_")}`;

/** `rkt.data_dir`: how error messages name a key of the file. */
export const fileKey = (x: Setting): string => `${x.section}.${x.name}`;

/** Every way to set one setting, for advice such as "set --rkt-path". */
export function settingNames(key: SettingKey): string {
  const x = SETTING_OF[key];
  return `${x.flag} (or ${envName(x.flag)}, or ${fileKey(x)} in the config file)`;
}
