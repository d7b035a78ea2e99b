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
  argvEntries: 16 * 1024,
  argLength: 128 * 1024,
} as const;

/** Ids reach command lines: letters, digits and `_ . : -` only, never a leading punctuation. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
/** Metadata names become file and app names: letters, digits and `_ . -`. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Image references: registry/repo:tag@digest characters. */
const IMAGE_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/;

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
  if (!IMAGE_REF_PATTERN.test(value)) return "is not a valid image reference";
  return undefined;
}

function hasDotDot(path: string): boolean {
  return path.split("/").some((part) => part === "..");
}

/** A text that can travel as one argv element or environment string. */
export function checkText(value: string, max: number = limits.argLength): string | undefined {
  if (value.includes("\0")) return "must not contain NUL bytes";
  if (value.length > max) return `must be at most ${max} characters`;
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

/** A path relative to a directory the runtime chose, that cannot climb out of it. */
export function checkRelativePath(value: string): string | undefined {
  const text = checkText(value, limits.pathLength);
  if (text) return text;
  if (value.length === 0) return "must not be empty";
  if (value.startsWith("/")) return "must be relative";
  if (hasDotDot(value)) return "must not contain '..' segments";
  return undefined;
}

export function checkStringMap(map: Readonly<Record<string, string>>): string | undefined {
  const keys = Object.keys(map);
  if (keys.length > limits.mapEntries) return `must have at most ${limits.mapEntries} entries`;
  for (const key of keys) {
    if (key.length === 0) return "keys must not be empty";
    const k = checkText(key, limits.labelKeyLength);
    if (k) return `key "${key.slice(0, 64)}" ${k}`;
    const v = checkText(map[key] ?? "", limits.labelValueLength);
    if (v) return `value of "${key.slice(0, 64)}" ${v}`;
  }
  return undefined;
}

/** Throws InvalidArgument naming `field` when `check` finds a problem. */
export function ensure(field: string, value: string, check: (v: string) => string | undefined): void {
  const problem = check(value);
  if (problem) throw invalidArgument(field, problem);
}

export const assertId = (field: string, value: string): void => ensure(field, value, checkId);
