/**
 * Docker image references, normalised the way the docker CLI does: `busybox` → `docker.io/library/busybox:latest`.
 * The original rktlet left `busybox:latest` unnormalised; here every form of a name maps to one canonical form.
 */
export interface DockerRef {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

const HASH_ID = /^(sha1|sha256|sha512)-[0-9a-f]+$/;

export function isRktImageId(ref: string): boolean {
  return HASH_ID.test(ref);
}

export function parseDockerRef(input: string): DockerRef {
  let ref = input.startsWith("docker://") ? input.slice("docker://".length) : input;
  let digest = "";
  const at = ref.indexOf("@");
  if (at !== -1) {
    digest = ref.slice(at + 1);
    ref = ref.slice(0, at);
  }
  let tag = "";
  const lastSlash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = ref.slice(colon + 1);
    ref = ref.slice(0, colon);
  }
  const firstSlash = ref.indexOf("/");
  const first = firstSlash === -1 ? "" : ref.slice(0, firstSlash);
  let registry = "docker.io";
  let repository = ref;
  if (first && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    repository = ref.slice(firstSlash + 1);
  }
  if (registry === "index.docker.io") registry = "docker.io";
  if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  if (!tag && !digest) tag = "latest";
  return { registry, repository, tag, digest };
}

/** `registry/repository:tag` (or `@digest`), without a scheme. */
export function canonicalName(r: DockerRef): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** What `rkt image fetch` is given for a CRI image reference. */
export function fetchName(ref: string): string {
  return isRktImageId(ref) ? ref : `docker://${canonicalName(parseDockerRef(ref))}`;
}
