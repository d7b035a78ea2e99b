/** Command specs, the run context, rkt's global (persistent) flags and its usage text layout. */
import * as path from "node:path";
import { tabwrite } from "../util/tabwriter";
import { type FlagDef, type FlagValues, flag } from "./flags";

export interface Globals {
  readonly dir: string;
  readonly debug: boolean;
  /** Expanded --insecure-options (the "all*" groups resolved). */
  readonly insecure: ReadonlySet<string>;
  readonly userConfig: string;
  readonly localConfig: string;
  readonly systemConfig: string;
}

export interface Context {
  /** Leaf command name: rkt prefixes its error lines with it ("add: …"). */
  readonly name: string;
  readonly flags: FlagValues;
  readonly args: readonly string[];
  readonly globals: Globals;
  readonly env: NodeJS.ProcessEnv;
  /** The command's usage text, as rkt prints it on stdout. */
  readonly usage: () => string;
}

export interface CommandSpec {
  readonly name: string;
  readonly short: string;
  readonly usageLine: string;
  readonly long: string;
  readonly flags?: readonly FlagDef[];
  /** false: flags are only parsed up to the first positional (pflag SetInterspersed(false)). */
  readonly interspersed?: boolean;
  readonly children?: readonly CommandSpec[];
  readonly run?: (ctx: Context) => Promise<number> | number;
}

const INSECURE_ALLOWED = [
  "none",
  "image",
  "tls",
  "ondisk",
  "http",
  "pubkey",
  "capabilities",
  "paths",
  "seccomp",
  "all-fetch",
  "all-run",
  "all",
];

export const GLOBAL_FLAGS: readonly FlagDef[] = [
  flag("debug", "bool", "false", "print out more debug information to stderr", "true"),
  flag("dir", "value", "/var/lib/rkt", "rkt data directory"),
  flag(
    "insecure-options",
    "value",
    "none",
    `comma-separated list of security features to disable. Allowed values: ${INSECURE_ALLOWED.map((o) => `"${o}"`).join(", ")}`,
  ),
  flag("local-config", "value", "/etc/rkt", "local configuration directory"),
  flag("system-config", "value", "/usr/lib/rkt", "system configuration directory"),
  flag("trust-keys-from-https", "bool", "false", "automatically trust gpg keys fetched from https", "true"),
  flag("user-config", "value", "", "user configuration directory"),
];

/** Validates and expands --insecure-options; returns an error text for pflag's "invalid argument". */
export function expandInsecure(value: string): Set<string> | string {
  const out = new Set<string>();
  for (const opt of value.split(",").map((o) => o.trim())) {
    if (!INSECURE_ALLOWED.includes(opt)) return `unknown insecure option ${JSON.stringify(opt)}`;
    if (opt === "all" || opt === "all-fetch") for (const o of ["image", "tls", "http", "pubkey"]) out.add(o);
    if (opt === "all" || opt === "all-run") for (const o of ["ondisk", "capabilities", "paths", "seccomp"]) out.add(o);
    if (opt !== "none") out.add(opt);
  }
  return out;
}

export function globalsFrom(flags: FlagValues, cwd: string): Globals | string {
  const insecure = expandInsecure(flags.str("insecure-options"));
  if (typeof insecure === "string")
    return `invalid argument ${JSON.stringify(flags.str("insecure-options"))} for "--insecure-options" flag: ${insecure}`;
  return {
    dir: path.resolve(cwd, flags.str("dir")),
    debug: flags.bool("debug"),
    insecure,
    userConfig: flags.str("user-config"),
    localConfig: flags.str("local-config"),
    systemConfig: flags.str("system-config"),
  };
}

function flagUsageLine(f: FlagDef): string {
  const left =
    f.kind === "bool" ? `--${f.name}[=${f.def}]` : f.kind === "string" ? `--${f.name}=${JSON.stringify(f.def)}` : `--${f.name}=${f.def}`;
  return `      ${left}\t${f.usage}\n`;
}

function flagBlock(flags: readonly FlagDef[]): string {
  return tabwrite(
    [...flags]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map(flagUsageLine)
      .join(""),
  );
}

/** rkt's usage template: NAME / USAGE / DESCRIPTION / OPTIONS / GLOBAL OPTIONS, tab-aligned. */
export function renderUsage(spec: CommandSpec, commandPath: string): string {
  let out = `NAME:\n\t${commandPath.replace(/^rkt /, "")} - ${spec.short}\n\nUSAGE:\n\t${spec.usageLine}\n\n`;
  if (spec.long) out += `DESCRIPTION:\n\t${spec.long}\n\n`;
  if (spec.children && spec.children.length > 0) {
    out += `SUBCOMMANDS:\n${tabwrite(spec.children.map((c) => `    ${c.name}\t${c.short}\n`).join(""))}\n`;
  }
  if (spec.flags && spec.flags.length > 0) out += `OPTIONS:\n${flagBlock(spec.flags)}\n`;
  out += `GLOBAL OPTIONS:\n${flagBlock(GLOBAL_FLAGS)}\n`;
  return out;
}
