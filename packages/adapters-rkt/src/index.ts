/**
 * @rktlet/adapters-rkt: @rktlet/core's ports implemented with the rkt CLI, following rkt 1.30's command
 * line contract (see the project's reference notes).
 */
export { RktAppRuntime, criLogPath } from "./app-runtime";
export { createRktBackend, type RktBackend, type RktBackendOptions } from "./backend";
export { rktError, rktMessage, ensureOk } from "./cli/errors";
export { RKT_ENV, RktRunner, type RktResult, SpawnCounter } from "./cli/runner";
export { appAddArgs, capabilities, DEFAULT_CAPS, ALL_CAPS } from "./commands/app-add-args";
export { canonicalName, fetchName, parseDockerRef } from "./commands/image-names";
export { Reserved, appName, containerId, parseContainerId } from "./commands/names";
export { sandboxArgs, STAGE1_OVERRIDE_ANNOTATION } from "./commands/sandbox-args";
export { DEFAULT_RKT_CONFIG, type RktConfig } from "./config";
export { RktImageStore } from "./image-store";
export { convertChunk, parseRawLine, toCriLines, MAX_CRI_LINE_BYTES } from "./logs/cri-format";
export { LogPump } from "./logs/log-pump";
export { parseFetchOutput, parseImageList, parseManifest } from "./parse/image";
export { parseAppStatus, parsePodList, parsePodStatus, podIp } from "./parse/pod";
export { RktPodSandboxRuntime, sliceOf } from "./pod-sandbox-runtime";
export { RktRuntimeInfo, parseRktVersion } from "./runtime-info";
export { ensureSharedMount, mountState } from "./shared-mount";
export { RktSnapshot } from "./snapshot";
