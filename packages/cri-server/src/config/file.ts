import { z } from "zod";
import { type DaemonOptions, DEFAULTS, optionsSchema } from "./schema";
import { envName, fileKey, SECTIONS, SETTINGS, type Section, type Setting } from "./settings";

// smol-toml ships ESM types; at run time its `require` export is CommonJS, so only the types need the import mode.
type Toml = typeof import("smol-toml", { with: { "resolution-mode": "import" }});
const toml = require("smol-toml") as Toml;

/** A refusal the user can fix: one line, plus the advice main prints after it. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

export const FILE_HINT = "rktlet config default prints a valid file";

/** The file's value for one setting: its TOML type first, then the very rules the flag's text obeys. */
function fileValue(x: Setting): z.ZodType<unknown> {
  const rules = optionsSchema.shape[x.key] as z.ZodType<unknown, string>;
  switch (x.kind) {
    case "string":
      return z.string({ error: "expected a string" }).pipe(rules);
    case "number":
      return z
        .number({ error: "expected a number" })
        .transform((n) => String(n))
        .pipe(rules);
    case "boolean":
      return z
        .boolean({ error: "expected true or false" })
        .transform((b) => String(b))
        .pipe(rules);
    case "list":
      return z
        .array(z.string({ error: "expected a string" }).regex(/^[^,]*$/, "an item cannot contain a comma; make it two items"), {
          error: 'expected an array of strings, e.g. ["a", "b"]',
        })
        .transform((items) => items.join(","))
        .pipe(rules);
  }
}

function sectionSchema(section: Section) {
  const shape = Object.fromEntries(SETTINGS.filter((x) => x.section === section).map((x) => [x.name, fileValue(x).optional()]));
  return z.strictObject(shape, { error: (issue) => (issue.code === "invalid_type" ? `expected a table ([${section}])` : undefined) });
}

/** The whole file: known sections of known keys only, so a misspelt key is an error rather than silently ignored. */
export const fileSchema = z.strictObject(Object.fromEntries(SECTIONS.map((sec) => [sec, sectionSchema(sec).optional()])));

/** A key the schema does not know, said with the nearest real one when there is an obvious match. */
function unknownKey(section: string | undefined, key: string): string {
  const norm = key.toLowerCase().replace(/-/g, "_");
  const here = section === undefined ? `${key}` : `${section}.${key}`;
  const match = SETTINGS.find(
    (x) =>
      ((section === undefined || section === x.section) && norm === x.name) ||
      norm === `${x.section}_${x.name}` ||
      norm === x.flag.slice(2).replace(/-/g, "_"),
  );
  if (match) return `${here}: unknown key; did you mean ${fileKey(match)}?`;
  if (section === undefined) return `${here}: unknown section; the sections are ${SECTIONS.map((sec) => `[${sec}]`).join(", ")}`;
  const names = SETTINGS.filter((x) => x.section === section).map((x) => x.name);
  return `${here}: unknown key; [${section}] takes ${names.join(", ")}`;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    const section = issue.path.length > 0 ? String(issue.path[0]) : undefined;
    return unknownKey(section, issue.keys[0] ?? "?");
  }
  const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
  return `${where.replace(/^\./, "") || "(top level)"}: ${issue.message}`;
}

/** Parses a config file's text into the settings it sets (the rest are absent). Throws ConfigError naming the file and key. */
export function parseConfigText(text: string, path: string): Partial<DaemonOptions> {
  let doc: unknown;
  try {
    doc = toml.parse(text);
  } catch (err) {
    if (!(err instanceof toml.TomlError)) throw err;
    // smol-toml's message is several lines with the code excerpt; its first line is the reason.
    const reason = err.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "invalid";
    throw new ConfigError(`${path}:${err.line}:${err.column}: not valid TOML: ${reason}`, FILE_HINT);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${path}: ${issue ? describe(issue) : "invalid"}`, FILE_HINT);
  }
  const sections = parsed.data as Record<string, Record<string, unknown> | undefined>;
  const out: Record<string, unknown> = {};
  for (const x of SETTINGS) {
    const v = sections[x.section]?.[x.name];
    if (v !== undefined) out[x.key] = v;
  }
  return out as Partial<DaemonOptions>;
}

/** A TOML value for a default, in the file's own types (numbers, booleans, arrays), not the flag's text. */
function tomlValue(x: Setting, value: string | number): string {
  switch (x.kind) {
    case "number":
      return String(value);
    case "boolean":
      return String(value === "true");
    case "list":
      return `[${String(value)
        .split(",")
        .filter(Boolean)
        .map((v) => JSON.stringify(v))
        .join(", ")}]`;
    case "string":
      // JSON's string escapes are all valid in a TOML basic string.
      return JSON.stringify(String(value));
  }
}

/** `rktlet config default`: every key with its default and a one-line comment; parses back to the defaults. */
export function renderDefaultConfig(): string {
  const lines = [
    "# rktlet configuration (TOML). Every key is optional; these are the defaults.",
    "# Precedence: command-line flags, then RKTLET_* environment variables, then this file, then the defaults.",
    "# Check a file with: rktlet config check FILE",
  ];
  for (const section of SECTIONS) {
    lines.push("", `[${section}]`);
    for (const x of SETTINGS.filter((y) => y.section === section)) {
      lines.push(`# ${x.comment} [${x.flag}, ${envName(x.flag)}]`, `${x.name} = ${tomlValue(x, DEFAULTS[x.key])}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
