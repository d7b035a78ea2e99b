import { readFileSync } from "node:fs";
import { ConfigError, FILE_HINT, parseConfigText } from "./file";
import { type DaemonOptions, DEFAULTS, optionsSchema } from "./schema";
import { CONFIG_ENV, DEFAULT_CONFIG_PATH, envName, fileKey, SETTING_OF, SETTINGS, type SettingKey } from "./settings";

export type Env = Readonly<Record<string, string | undefined>>;

/** Where settings come from besides the command line; tests pass their own, main passes the process's. */
export interface Sources {
  readonly env?: Env;
  readonly readFile?: (path: string) => string;
}

export const HELP_HINT = "see rktlet --help";

/** Which config file to read, and who asked for it (a missing file is an error only when someone did). */
export interface ConfigChoice {
  readonly path: string | undefined;
  readonly via: "flag" | "env" | "default" | "argument";
}

/** --config, else RKTLET_CONFIG, else the default path; an empty value means "no file". */
export function chooseConfigFile(flag: string | undefined, env: Env): ConfigChoice {
  if (flag !== undefined) return { path: flag || undefined, via: "flag" };
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv !== undefined) return { path: fromEnv || undefined, via: "env" };
  return { path: DEFAULT_CONFIG_PATH, via: "default" };
}

const READ_FIX: Record<ConfigChoice["via"], string> = {
  flag: "fix the --config path",
  env: `fix ${CONFIG_ENV}`,
  default: "fix it, or point --config at another file",
  argument: "fix the path",
};

/** Reads the chosen file; undefined when there is none to read (the default path may be absent). */
export function readConfigFile(choice: ConfigChoice, readFile: (path: string) => string): string | undefined {
  if (choice.path === undefined) return undefined;
  try {
    return readFile(choice.path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT" && choice.via === "default") return undefined;
    throw new ConfigError(`${choice.path}: cannot read the config file: ${errnoText(e)}`, READ_FIX[choice.via]);
  }
}

/** "ENOENT: no such file or directory, open '/x'" → "no such file or directory": the path is said once already. */
export function errnoText(err: Error): string {
  const m = /^[A-Z]+: ([^,]+)/.exec(err.message);
  return m?.[1] ?? err.message;
}

type Some = Partial<DaemonOptions>;

const flagName = (key: SettingKey) => SETTING_OF[key].flag;
const envVar = (key: SettingKey) => envName(SETTING_OF[key].flag);

/** Validates one source's settings (flag or environment text) with the shared schema, naming the key its own way. */
function validateText(raw: Partial<Record<SettingKey, string>>, nameOf: (key: SettingKey) => string): Some {
  const parsed = optionsSchema.partial().safeParse(raw);
  if (parsed.success) return parsed.data as Some;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0] as SettingKey | undefined;
  throw new ConfigError(`${key ? nameOf(key) : "settings"}: ${issue?.message ?? "invalid"}`, HELP_HINT);
}

/** The RKTLET_* variables that are set; others (RKTLET_CONFIG, test knobs) are not settings and are left alone. */
export function envSettings(env: Env): Some {
  const raw: Partial<Record<SettingKey, string>> = {};
  for (const x of SETTINGS) {
    const v = env[envName(x.flag)];
    if (v !== undefined) raw[x.key] = v;
  }
  return validateText(raw, envVar);
}

export function flagSettings(raw: Partial<Record<SettingKey, string>>): Some {
  return validateText(raw, flagName);
}

interface Layer {
  readonly values: Some;
  /** Said before the key in a message: the file's path, or nothing. */
  readonly prefix: string;
  readonly nameOf: (key: SettingKey) => string;
}

/** Stacks the layers, later ones winning, on top of the defaults, then checks what spans two settings. */
function merge(layers: readonly Layer[]): DaemonOptions {
  const options = { ...optionsSchema.parse(DEFAULTS) } as Record<SettingKey, unknown>;
  const origin: Partial<Record<SettingKey, Layer>> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values) as [SettingKey, unknown][]) {
      if (value === undefined) continue;
      options[key] = value;
      origin[key] = layer;
    }
  }
  const result = options as DaemonOptions;
  // The TLS pair: blame whichever half is set, in the words of the source that set it.
  if ((result.streamTlsCert === "") !== (result.streamTlsKey === "")) {
    const [set, missing]: [SettingKey, SettingKey] =
      result.streamTlsCert !== "" ? ["streamTlsCert", "streamTlsKey"] : ["streamTlsKey", "streamTlsCert"];
    const layer = origin[set];
    const nameOf = layer?.nameOf ?? flagName;
    throw new ConfigError(`${layer?.prefix ?? ""}${nameOf(set)}: needs ${nameOf(missing)} too (and the other way round)`, HELP_HINT);
  }
  return result;
}

const fileLayer = (values: Some, path: string): Layer => ({ values, prefix: `${path}: `, nameOf: (key) => fileKey(SETTING_OF[key]) });

export interface Resolved {
  readonly options: DaemonOptions;
  /** The config file that was read, if any. */
  readonly configFile: string | undefined;
}

/** Flags > environment > file > defaults. `configFlag` is --config as given (undefined when absent). */
export function resolveOptions(
  flags: Partial<Record<SettingKey, string>>,
  configFlag: string | undefined,
  sources: Sources = {},
): Resolved {
  const env = sources.env ?? {};
  const readFile = sources.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  // Flags first: a bad flag is reported even when the file is bad too, since it is the quickest to fix.
  const fromFlags = flagSettings(flags);
  const fromEnv = envSettings(env);
  const choice = chooseConfigFile(configFlag, env);
  const text = readConfigFile(choice, readFile);
  const path = choice.path ?? "";
  const fromFile = text === undefined ? {} : parseConfigText(text, path);
  const options = merge([
    fileLayer(fromFile, path),
    { values: fromEnv, prefix: "", nameOf: envVar },
    { values: fromFlags, prefix: "", nameOf: flagName },
  ]);
  return { options, configFile: text === undefined ? undefined : path };
}

/** `rktlet config check FILE`: the file alone over the defaults, exactly as the daemon would take it. */
export function checkConfigFile(path: string, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): DaemonOptions {
  const text = readConfigFile({ path, via: "argument" }, readFile) ?? "";
  const values = parseConfigText(text, path);
  try {
    return merge([fileLayer(values, path)]);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.message, FILE_HINT);
    throw err;
  }
}
