import { invalidArgument } from "../errors";

/**
 * Input rules shared by the use cases and the gRPC edge (cri-server's zod schemas reuse them), so a
 * library user calling core directly gets the same protection as a CRI client. Every check returns a
 * problem description, or undefined when the value is fine.
 */
export const limits = {
  idLength: 256,
  nameLength: 253,
  imageRefLength: 4096,
  pathLength: 4096,
  labelKeyLength: 317, // DNS subdomain prefix (253) + "/" + name (63)
  labelValueLength: 64 * 1024,
  mapEntries: 1024,
  /** Keys and values of one map together, in UTF-8 bytes (Kubernetes' own limit for a pod's annotations). */
  mapBytes: 256 * 1024,
  argvEntries: 16 * 1024,
  /** One command-line argument, in UTF-8 bytes: Linux refuses more than 128 KiB, and rktlet adds a flag name. */
  argLength: 120 * 1024,
  /** Everything one request puts on an rkt command line, in UTF-8 bytes: Linux's total is about 2 MiB. */
  commandLineBytes: 1024 * 1024,
} as const;

/** Ids reach command lines: letters, digits and `_ . : -` only, never a leading punctuation. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
/** Metadata names become file and app names: letters, digits and `_ . -`. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/**
 * Docker's reference grammar, piece by piece: rkt refuses what docker would, and a name that reached it
 * would come back as rkt's error instead of INVALID_ARGUMENT. A leading component is a registry when it has
 * a `.` or `:` or is `localhost`, as docker (and rktlet's rkt adapter) decide.
 */
const REGISTRY =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export function checkId(value: string): string | undefined {
  if (value.length === 0) return "must not be empty";
  if (value.length > limits.idLength) return `must be at most ${limits.idLength} characters`;
  if (!ID_PATTERN.test(value)) return "may contain only letters, digits, '_', '.', ':' and '-', starting with a letter or digit";
  return undefined;
}

export function checkName(value: string): string | undefined {
  if (value.length === 0) return "must not be empty";
  if (value.length > limits.nameLength) return `must be at most ${limits.nameLength} characters`;
  if (!NAME_PATTERN.test(value)) return "may contain only letters, digits, '_', '.' and '-', starting with a letter or digit";
  return undefined;
}

export function checkImageRef(value: string): string | undefined {
  if (value.length === 0) return "must not be empty";
  if (value.length > limits.imageRefLength) return `must be at most ${limits.imageRefLength} characters`;
  const invalid = "is not a valid image reference ([registry/]repository[:tag][@digest], repository in lowercase)";
  let rest = value.startsWith("docker://") ? value.slice("docker://".length) : value;
  const at = rest.indexOf("@");
  if (at !== -1) {
    if (!DIGEST.test(rest.slice(at + 1))) return invalid;
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    if (!TAG.test(rest.slice(colon + 1))) return invalid;
    rest = rest.slice(0, colon);
  }
  const parts = rest.split("/");
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!REGISTRY.test(first)) return invalid;
    parts.shift();
  }
  if (!parts.every((p) => PATH_COMPONENT.test(p))) return invalid;
  return undefined;
}

/** The length of `value` in UTF-8, which is what the kernel counts on a command line. */
export function utf8Length(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Is `value` longer than `max` bytes of UTF-8? Counts only when the characters alone do not decide. */
function overBytes(value: string, max: number): boolean {
  if (value.length > max) return true;
  return value.length * 3 > max && utf8Length(value) > max;
}

function hasDotDot(path: string): boolean {
  return path.split("/").some((part) => part === "..");
}

/** A text that can travel as one argv element or environment string (`max` in characters and in UTF-8 bytes). */
export function checkText(value: string, max: number = limits.argLength): string | undefined {
  if (value.includes("\0")) return "must not contain NUL bytes";
  if (value.length > max) return `must be at most ${max} characters`;
  if (overBytes(value, max)) return `must be at most ${max} bytes in UTF-8`;
  return undefined;
}

/**
 * A command and its arguments for one process: each a text, and all together within a command line. The
 * problem comes with the index of the argument at fault, if one is.
 */
export function checkArgv(values: readonly string[]): { at?: number; problem: string } | undefined {
  if (values.length > limits.argvEntries) return { problem: `must have at most ${limits.argvEntries} entries` };
  let total = 0;
  for (const [i, v] of values.entries()) {
    const problem = checkText(v);
    if (problem) return { at: i, problem };
    total += utf8Length(v) + 1;
  }
  if (total > limits.commandLineBytes) return { problem: `must be at most ${limits.commandLineBytes} bytes in all` };
  return undefined;
}

/** An absolute path with no `..` segment, so it names exactly what it says. */
export function checkAbsolutePath(value: string): string | undefined {
  const text = checkText(value, limits.pathLength);
  if (text) return text;
  if (!value.startsWith("/")) return "must be an absolute path";
  if (hasDotDot(value)) return "must not contain '..' segments";
  return undefined;
}

/**
 * A file's path relative to a directory the runtime chose, that cannot climb out of it, nor name a
 * directory (`.`, `x/`): a log file there would be the pod's log directory itself.
 */
export function checkRelativePath(value: string): string | undefined {
  const text = checkText(value, limits.pathLength);
  if (text) return text;
  if (value.length === 0) return "must not be empty";
  if (value.startsWith("/")) return "must be relative";
  if (hasDotDot(value)) return "must not contain '..' segments";
  const last = value.split("/").at(-1);
  if (last === "" || last === ".") return "must name a file, not a directory";
  return undefined;
}

/** Labels, annotations and the like. Keys never hold `=`: rkt takes `key=value`, so one would move into the value. */
export function checkStringMap(map: Readonly<Record<string, string>>): string | undefined {
  const keys = Object.keys(map);
  if (keys.length > limits.mapEntries) return `must have at most ${limits.mapEntries} entries`;
  let total = 0;
  for (const key of keys) {
    if (key.length === 0) return "keys must not be empty";
    const k = checkText(key, limits.labelKeyLength);
    if (k) return `key "${key.slice(0, 64)}" ${k}`;
    if (key.includes("=")) return `key "${key.slice(0, 64)}" must not contain '='`;
    const value = map[key] ?? "";
    const v = checkText(value, limits.labelValueLength);
    if (v) return `value of "${key.slice(0, 64)}" ${v}`;
    total += utf8Length(key) + utf8Length(value);
    if (total > limits.mapBytes) return `must be at most ${limits.mapBytes} bytes of keys and values in all`;
  }
  return undefined;
}

/** Throws InvalidArgument naming `field` when `check` finds a problem. */
export function ensure(field: string, value: string, check: (v: string) => string | undefined): void {
  const problem = check(value);
  if (problem) throw invalidArgument(field, problem);
}

export const assertId = (field: string, value: string): void => ensure(field, value, checkId);
