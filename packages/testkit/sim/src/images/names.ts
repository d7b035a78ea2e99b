/**
 * Image strings as rkt reads them: `docker://` references (docker2aci naming), appc names with an optional
 * `:version`, and `sha512-` ids. docker2aci names a docker image `<registry with ':' → '_'>/<repository>`
 * with the tag as its `version` label; Docker Hub images get the registry `registry-1.docker.io`.
 */
import { createHash } from "node:crypto";

export const DOCKER_HUB_REGISTRY = "registry-1.docker.io";
const HUB_ALIASES = new Set(["docker.io", "index.docker.io", DOCKER_HUB_REGISTRY]);

export interface DockerRef {
  /** Registry host as docker2aci records it (`127.0.0.1:5000`, `registry-1.docker.io`). */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** The reference as given, without `docker://` (docker2aci's `originalname`). */
  readonly original: string;
  /** Normalized key used in the registry file: `docker.io/library/busybox:latest`. */
  readonly key: string;
  /** appc image name. */
  readonly appcName: string;
}

export function isHubRegistry(host: string): boolean {
  return HUB_ALIASES.has(host);
}

/** Docker's repository grammar: `/`-separated components of lower-case alphanumerics joined by `.`, `_`, `__` or dashes. */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

export function parseDockerRef(input: string): DockerRef | undefined {
  const original = input.replace(/^docker:\/\//, "");
  let rest = original;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > rest.lastIndexOf("/")) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  let registry = DOCKER_HUB_REGISTRY;
  let repository = rest;
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    repository = rest.slice(slash + 1);
  }
  if (isHubRegistry(registry)) {
    registry = DOCKER_HUB_REGISTRY;
    if (!repository.includes("/")) repository = `library/${repository}`;
  }
  if (!REPOSITORY.test(repository)) return undefined;
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) return undefined;
  const keyHost = registry === DOCKER_HUB_REGISTRY ? "docker.io" : registry;
  const suffix = digest !== undefined ? `@${digest}` : tag !== undefined ? `:${tag}` : "";
  const ref: DockerRef = {
    registry,
    repository,
    original,
    key: `${keyHost}/${repository}${suffix}`,
    appcName: `${registry.replace(/:/g, "_")}/${repository}`,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
  return ref;
}

/** `name[:version]` appc image string; undefined when it has more than one colon (rkt refuses it). */
export function parseAppcName(s: string): { name: string; version?: string } | undefined {
  const parts = s.split(":");
  if (parts.length > 2) return undefined;
  const [name, version] = parts as [string, string | undefined];
  return version === undefined ? { name } : { name, version };
}

export const MALFORMED_APP_STRING = "malformed app string - colon may appear at most once";

export type ImageString =
  | { kind: "id"; id: string }
  | { kind: "docker"; url: string }
  | { kind: "file"; path: string }
  | { kind: "https"; url: string }
  | { kind: "name"; name: string }
  | { kind: "error"; message: string };

/**
 * How rkt classifies an image argument. Strings without a URL scheme whose first path segment holds a
 * colon fail Go's url.Parse, exactly as rkt reports it.
 */
export function classifyImageString(s: string): ImageString {
  if (/^sha512-[0-9a-fA-F]*$/.test(s)) return { kind: "id", id: s.toLowerCase() };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(s)?.[1]?.toLowerCase();
  if (scheme === "docker") return { kind: "docker", url: s };
  if (scheme === "file") return { kind: "file", path: s.replace(/^file:\/\//, "") };
  if (scheme === "http" || scheme === "https") return { kind: "https", url: s };
  if (scheme === undefined) {
    const firstSegment = s.split("/")[0] ?? "";
    if (firstSegment.includes(":")) {
      return { kind: "error", message: `parse ${JSON.stringify(s)}: first path segment in URL cannot contain colon` };
    }
  }
  return { kind: "name", name: s };
}

/** Image ids are derived from the image name only, like rkt's (the converted manifest depends on it). */
export function imageIdFor(key: string): string {
  return `sha512-${createHash("sha512").update(`rkt-sim-image\0${key}`).digest("hex")}`;
}

export function sha256Of(label: string, key: string): string {
  return `sha256:${createHash("sha256").update(`${label}\0${key}`).digest("hex")}`;
}
