import { checkArgv, checkId } from "@rktlet/core";
import { ContainerState, MountPropagation, NamespaceMode, PodSandboxState, Protocol } from "@rktlet/cri-api";
import { z } from "zod";

/**
 * Request validation at the gRPC edge. ts-proto already guarantees the wire shape; these schemas check
 * what decoding cannot: required messages present, ids safe to reach a command line, enum values known,
 * numbers in range. Content rules (names, paths, maps) live in @rktlet/core and run in the use cases.
 */

const required = (what = "message") => ({
  error: (issue: { input: unknown }) => (issue.input === undefined || issue.input === null ? "is required" : `must be a ${what}`),
});

/** A CRI id: non-empty and free of shell and path characters. */
export const id = z.string().superRefine((v, ctx) => {
  const problem = checkId(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** Filters may leave an id empty (no filtering); when set, the same rules apply. */
const optionalId = z.string().superRefine((v, ctx) => {
  const problem = v === "" ? undefined : checkId(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** A known value of a generated enum (decoding lets any int32 through). */
function enumValue(e: Record<string, string | number>) {
  const known = new Set(Object.values(e).filter((v): v is number => typeof v === "number" && v >= 0));
  return z.number().refine((v) => known.has(v), { message: "is not a known enum value" });
}

const podMetadata = z.looseObject({ attempt: z.number().int().min(0) }, required());
const containerMetadata = z.looseObject({ attempt: z.number().int().min(0) }, required());

const namespaceOptions = z
  .looseObject({ network: enumValue(NamespaceMode), pid: enumValue(NamespaceMode), ipc: enumValue(NamespaceMode) })
  .optional();

const podSandboxConfig = z.looseObject(
  {
    metadata: podMetadata,
    portMappings: z.array(z.looseObject({ protocol: enumValue(Protocol) })),
    linux: z.looseObject({ securityContext: z.looseObject({ namespaceOptions }).optional() }).optional(),
  },
  required(),
);

export const runPodSandboxRequest = z.looseObject({ config: podSandboxConfig });

export const createContainerRequest = z.looseObject({
  podSandboxId: id,
  config: z.looseObject(
    {
      metadata: containerMetadata,
      image: z.looseObject({ image: z.string().min(1, "must not be empty") }, required()),
      mounts: z.array(z.looseObject({ propagation: enumValue(MountPropagation) })),
      linux: z.looseObject({ securityContext: z.looseObject({ namespaceOptions }).optional() }).optional(),
    },
    required(),
  ),
  sandboxConfig: podSandboxConfig.optional(),
});

export const podSandboxIdRequest = z.looseObject({ podSandboxId: id });
export const containerIdRequest = z.looseObject({ containerId: id });

/**
 * The longest timeout, in seconds, that a Node timer holds: a longer one would fire at once. Timeouts up
 * to a year are accepted and waited for this long at most.
 */
export const MAX_TIMEOUT_SECONDS = Math.floor(0x7fffffff / 1000);

/** Stop timeouts are seconds; kubelet never sends more than a few hours. */
export const stopContainerRequest = z.looseObject({
  containerId: id,
  timeout: z
    .bigint()
    .min(0n, "must not be negative")
    .max(86_400n * 365n, "is too large"),
});

/** A command to run: one process's argv, so within what Linux takes on a command line (else E2BIG). */
const argv = z
  .array(z.string())
  .min(1, "must name a command")
  .superRefine((values, ctx) => {
    const problem = checkArgv(values);
    if (problem) ctx.addIssue({ code: "custom", message: problem.problem, path: problem.at === undefined ? [] : [problem.at] });
  });

export const execSyncRequest = z.looseObject({
  containerId: id,
  cmd: argv,
  timeout: z
    .bigint()
    .min(0n, "must not be negative")
    .max(86_400n * 365n, "is too large"),
});

export const execRequest = z.looseObject({ containerId: id, cmd: argv });
export const attachRequest = z.looseObject({ containerId: id });
export const portForwardRequest = z.looseObject({ podSandboxId: id, port: z.array(z.number().int().min(1).max(65535)) });

export const listPodSandboxRequest = z.looseObject({
  filter: z.looseObject({ id: optionalId, state: z.looseObject({ state: enumValue(PodSandboxState) }).optional() }).optional(),
});

export const listContainersRequest = z.looseObject({
  filter: z
    .looseObject({ id: optionalId, podSandboxId: optionalId, state: z.looseObject({ state: enumValue(ContainerState) }).optional() })
    .optional(),
});

export const statsFilterRequest = z.looseObject({
  filter: z.looseObject({ id: optionalId, podSandboxId: optionalId.optional() }).optional(),
});

export const imageSpecRequest = z.looseObject({ image: z.looseObject({ image: z.string().min(1, "must not be empty") }, required()) });

export const updateContainerResourcesRequest = z.looseObject({ containerId: id, linux: z.looseObject({}).optional() });

export const updateRuntimeConfigRequest = z.looseObject({
  runtimeConfig: z.looseObject({ networkConfig: z.looseObject({ podCidr: z.string() }).optional() }, required()),
});

/** Parses `request` with `schema`, throwing a ZodError that the status mapper names the field of. */
export function validate<T>(schema: z.ZodType, request: T): T {
  schema.parse(request);
  return request;
}
