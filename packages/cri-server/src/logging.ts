import pino, { type Logger } from "pino";

export type { Logger } from "pino";

/**
 * Paths pino blanks out wherever they appear in a log object: registry credentials must never reach a log.
 * Handlers do not log requests wholesale, so this is a second line of defence.
 */
export const REDACTED_PATHS = [
  "auth",
  "*.auth",
  "*.*.auth",
  "password",
  "*.password",
  "*.*.password",
  "identityToken",
  "*.identityToken",
  "*.*.identityToken",
  "registryToken",
  "*.registryToken",
  "*.*.registryToken",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: "rktlet", pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
