import { z } from "zod";

/** Built-in defaults, in the form a flag gives them (strings, and numbers for seconds). */
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

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "must be HOST:PORT")
  .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "port must be at most 65535");

const seconds = (min: number, max: number) =>
  z.coerce
    .number({ error: "must be a number of seconds" })
    .min(min, `must be at least ${min} seconds`)
    .max(max, `must be at most ${max} seconds`);

/** HOST:PORT, or empty for "off", with hostPort's messages. */
const optionalHostPort = z.string().superRefine((v, ctx) => {
  if (v === "") return;
  for (const issue of hostPort.safeParse(v).error?.issues ?? []) ctx.addIssue({ code: "custom", message: issue.message });
});

/**
 * The daemon's settings after parsing and validation: the one schema every source goes through. Its input is a
 * flag's text; environment variables are the same text, and the file's typed values are turned into it first.
 */
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
  streamIdleTimeoutSeconds: seconds(1, 7 * 24 * 3600),
  metricsAddress: optionalHostPort,
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
  shutdownGraceSeconds: seconds(0, 3600),
});
export type DaemonOptions = z.output<typeof optionsSchema>;
