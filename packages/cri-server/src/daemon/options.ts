import { parseArgs } from "node:util";
import { z } from "zod";

export const DEFAULTS = {
  listen: "/var/run/rktlet.sock",
  backend: "rkt",
  rktPath: "/usr/bin/rkt",
  rktDataDir: "/var/lib/rktlet/data",
  stateDir: "/var/lib/rktlet/state",
  rktInsecureOptions: "image,ondisk",
  rktSharedMount: "true",
  unitManager: "auto",
  systemdTransport: "dbus",
  podLogRoot: "/var/log/pods",
  rktStage1Allowed: "",
  rktStage1Name: "",
  net: "default",
  streamServerAddress: "127.0.0.1:10241",
  streamTlsCert: "",
  streamTlsKey: "",
  streamIdleTimeoutSeconds: 4 * 60 * 60,
  metricsAddress: "",
  logLevel: "info",
  shutdownGraceSeconds: 10,
} as const;

export const HELP = `rktlet: a Kubernetes CRI runtime for the rkt engine

Usage: rktlet [flags]

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
  --help                        print this help and exit
`;

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "must be HOST:PORT")
  .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "port must be at most 65535");

/** HOST:PORT, or empty for "off", with hostPort's messages. */
const optionalHostPort = z.string().superRefine((v, ctx) => {
  if (v === "") return;
  for (const issue of hostPort.safeParse(v).error?.issues ?? []) ctx.addIssue({ code: "custom", message: issue.message });
});

/** The daemon's settings after parsing and validation; the one schema every flag goes through. */
export const optionsSchema = z.object({
  listen: z.string().startsWith("/", "must be an absolute path"),
  backend: z.enum(["rkt", "fake"]),
  rktPath: z.string().min(1),
  rktDataDir: z.string().startsWith("/", "must be an absolute path"),
  rktStage1Name: z.string(),
  stateDir: z.string().startsWith("/", "must be an absolute path"),
  rktInsecureOptions: z
    .string()
    .regex(/^(|[a-z-]+(,[a-z-]+)*)$/, "must be a comma-separated list such as image,ondisk,http")
    .transform((s) => s.split(",").filter(Boolean)),
  rktSharedMount: z.enum(["true", "false"]).transform((s) => s === "true"),
  unitManager: z.enum(["auto", "systemd", "process"]),
  systemdTransport: z.enum(["dbus", "cli"]),
  podLogRoot: z.string().startsWith("/", "must be an absolute path"),
  rktStage1Allowed: z
    .string()
    .regex(/^[A-Za-z0-9._/:+-]*(,[A-Za-z0-9._/:+-]+)*$/, "must be a comma-separated list of image names")
    .transform((s) => s.split(",").filter(Boolean)),
  net: z.string().min(1),
  streamServerAddress: hostPort,
  streamTlsCert: z.string().refine((v) => v === "" || v.startsWith("/"), "must be an absolute path"),
  streamTlsKey: z.string().refine((v) => v === "" || v.startsWith("/"), "must be an absolute path"),
  streamIdleTimeoutSeconds: z.coerce
    .number()
    .min(1)
    .max(7 * 24 * 3600),
  metricsAddress: optionalHostPort,
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
  shutdownGraceSeconds: z.coerce.number().min(0).max(3600),
});
export type DaemonOptions = z.output<typeof optionsSchema>;

/** The TLS flags come as a pair. */
const pairedTls = (o: DaemonOptions) => (o.streamTlsCert === "") === (o.streamTlsKey === "");

export type Command = { kind: "help" } | { kind: "version" } | { kind: "run"; options: DaemonOptions };

const FLAG_OF: Record<keyof DaemonOptions, string> = {
  listen: "--listen",
  backend: "--backend",
  rktPath: "--rkt-path",
  rktDataDir: "--rkt-data-dir",
  rktStage1Name: "--rkt-stage1-name",
  stateDir: "--state-dir",
  rktInsecureOptions: "--rkt-insecure-options",
  rktSharedMount: "--rkt-shared-mount",
  unitManager: "--unit-manager",
  systemdTransport: "--systemd-transport",
  podLogRoot: "--pod-log-root",
  rktStage1Allowed: "--rkt-stage1-allowed",
  net: "--net",
  streamServerAddress: "--stream-server-address",
  streamTlsCert: "--stream-tls-cert",
  streamTlsKey: "--stream-tls-key",
  streamIdleTimeoutSeconds: "--stream-idle-timeout",
  metricsAddress: "--metrics-address",
  logLevel: "--log-level",
  shutdownGraceSeconds: "--shutdown-grace",
};

/** Parses argv (without node and script). Throws an Error whose message is one line naming the flag. */
export function parseCommandLine(argv: readonly string[]): Command {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      listen: { type: "string" },
      backend: { type: "string" },
      "rkt-path": { type: "string" },
      "rkt-data-dir": { type: "string" },
      "rkt-stage1-name": { type: "string" },
      "state-dir": { type: "string" },
      "rkt-insecure-options": { type: "string" },
      "rkt-shared-mount": { type: "string" },
      "unit-manager": { type: "string" },
      "systemd-transport": { type: "string" },
      "pod-log-root": { type: "string" },
      "rkt-stage1-allowed": { type: "string" },
      net: { type: "string" },
      "stream-server-address": { type: "string" },
      "stream-tls-cert": { type: "string" },
      "stream-tls-key": { type: "string" },
      "stream-idle-timeout": { type: "string" },
      "metrics-address": { type: "string" },
      "log-level": { type: "string" },
      "shutdown-grace": { type: "string" },
      version: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const raw = {
    listen: values.listen ?? DEFAULTS.listen,
    backend: values.backend ?? DEFAULTS.backend,
    rktPath: values["rkt-path"] ?? DEFAULTS.rktPath,
    rktDataDir: values["rkt-data-dir"] ?? DEFAULTS.rktDataDir,
    rktStage1Name: values["rkt-stage1-name"] ?? DEFAULTS.rktStage1Name,
    stateDir: values["state-dir"] ?? DEFAULTS.stateDir,
    rktInsecureOptions: values["rkt-insecure-options"] ?? DEFAULTS.rktInsecureOptions,
    rktSharedMount: values["rkt-shared-mount"] ?? DEFAULTS.rktSharedMount,
    unitManager: values["unit-manager"] ?? DEFAULTS.unitManager,
    systemdTransport: values["systemd-transport"] ?? DEFAULTS.systemdTransport,
    podLogRoot: values["pod-log-root"] ?? DEFAULTS.podLogRoot,
    rktStage1Allowed: values["rkt-stage1-allowed"] ?? DEFAULTS.rktStage1Allowed,
    net: values.net ?? DEFAULTS.net,
    streamServerAddress: values["stream-server-address"] ?? DEFAULTS.streamServerAddress,
    streamTlsCert: values["stream-tls-cert"] ?? DEFAULTS.streamTlsCert,
    streamTlsKey: values["stream-tls-key"] ?? DEFAULTS.streamTlsKey,
    streamIdleTimeoutSeconds: values["stream-idle-timeout"] ?? DEFAULTS.streamIdleTimeoutSeconds,
    metricsAddress: values["metrics-address"] ?? DEFAULTS.metricsAddress,
    logLevel: values["log-level"] ?? DEFAULTS.logLevel,
    shutdownGraceSeconds: values["shutdown-grace"] ?? DEFAULTS.shutdownGraceSeconds,
  };
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path[0] as keyof DaemonOptions | undefined;
    throw new Error(`${key ? FLAG_OF[key] : "flags"}: ${issue?.message ?? "invalid"}`);
  }
  if (!pairedTls(parsed.data)) throw new Error("--stream-tls-cert: needs --stream-tls-key too (and the other way round)");
  return { kind: "run", options: parsed.data };
}
