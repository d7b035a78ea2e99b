/**
 * A pflag-like flag parser: `--name=value`, `--name value`, bare `--bool`, `--` ends the flags, and with
 * interspersed parsing off (rkt's `app add`, `app exec`) everything from the first positional on is an arg.
 * Error texts are pflag's, because rkt prints them verbatim.
 */
import { FlagError } from "../errors";

export type FlagKind = "string" | "bool" | "value";

export interface FlagDef {
  readonly name: string;
  readonly kind: FlagKind;
  /** Default shown in usage (and returned when the flag is absent). */
  readonly def: string;
  readonly usage: string;
  /** Value when given without `=value` (bool flags: "true"). */
  readonly noOptDefVal?: string;
}

export function flag(name: string, kind: FlagKind, def: string, usage: string, noOptDefVal?: string): FlagDef {
  return noOptDefVal === undefined ? { name, kind, def, usage } : { name, kind, def, usage, noOptDefVal };
}

/** Every occurrence of every flag, in command-line order. */
export class FlagValues {
  private readonly seen = new Map<string, string[]>();

  constructor(private readonly defs: ReadonlyMap<string, FlagDef>) {}

  add(name: string, value: string): void {
    const list = this.seen.get(name) ?? [];
    list.push(value);
    this.seen.set(name, list);
  }

  has(name: string): boolean {
    return this.seen.has(name);
  }

  /** The last occurrence wins, as with pflag's Set on a plain value. */
  str(name: string): string {
    const list = this.seen.get(name);
    return list?.[list.length - 1] ?? this.defs.get(name)?.def ?? "";
  }

  all(name: string): string[] {
    return [...(this.seen.get(name) ?? [])];
  }

  /** pflag StringSlice semantics: every occurrence, each split on commas. */
  slice(name: string): string[] {
    return this.all(name).flatMap((v) => (v === "" ? [] : v.split(",")));
  }

  bool(name: string): boolean {
    return parseGoBool(this.str(name)) ?? false;
  }
}

/** strconv.ParseBool */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

export interface Parsed {
  readonly flags: FlagValues;
  readonly args: string[];
}

export function parseFlags(tokens: readonly string[], defs: ReadonlyMap<string, FlagDef>, interspersed: boolean): Parsed {
  const flags = new FlagValues(defs);
  const args: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const s = tokens[i++]!;
    if (s.length < 2 || s[0] !== "-") {
      args.push(s);
      if (!interspersed) {
        args.push(...tokens.slice(i));
        break;
      }
      continue;
    }
    if (s === "--") {
      args.push(...tokens.slice(i));
      break;
    }
    if (s[1] !== "-") {
      const c = s[1]!;
      if (c === "h") throw new FlagError("help requested");
      throw new FlagError(`unknown shorthand flag: '${c}' in ${s}`);
    }
    const body = s.slice(2);
    if (body.length === 0 || body[0] === "-" || body[0] === "=") throw new FlagError(`bad flag syntax: ${s}`);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === "help") throw new FlagError("help requested");
    const def = defs.get(name);
    if (!def) throw new FlagError(`unknown flag: --${name}`);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (def.noOptDefVal !== undefined) value = def.noOptDefVal;
    else if (i < tokens.length) value = tokens[i++]!;
    else throw new FlagError(`flag needs an argument: ${s}`);
    if (def.kind === "bool" && parseGoBool(value) === undefined) {
      throw new FlagError(
        `invalid argument ${JSON.stringify(value)} for "--${name}" flag: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
      );
    }
    flags.add(name, value);
  }
  return { flags, args };
}
