/**
 * @rktlet/adapters-rkt: @rktlet/core's ports implemented with the rkt CLI, following rkt 1.30's command
 * line contract (see the project's reference notes).
 */
export { criLogPath, RktAppRuntime } from "./app-runtime";
export { createRktBackend, type RktBackend, type RktBackendOptions } from "./backend";
export { defaultInterface, type InterfaceCounters, parseNetDev, readNetDev } from "./cgroups/net";
export {
  appCgroups,
  type CgroupDirMap,
  type CgroupDirs,
  type CgroupPathOptions,
  clearCgroupCache,
  parseMountinfo,
  parseProcCgroup,
  podCgroups,
} from "./cgroups/paths";
export { type CgroupUsage, countProcesses, readCgroupUsage, readV1, readV2 } from "./cgroups/read";
export { appUpperDir, diskUsage } from "./cgroups/writable-layer";
export { ensureOk, rktError, rktMessage } from "./cli/errors";
export {
  loggableArgv,
  RKT_ENV,
  type RktCommandObservation,
  type RktCommandObserver,
  type RktResult,
  RktRunner,
  SpawnCounter,
} from "./cli/runner";
export { ALL_CAPS, appAddArgs, capabilities, DEFAULT_CAPS } from "./commands/app-add-args";
export { canonicalName, fetchName, parseDockerRef } from "./commands/image-names";
export { appName, containerId, parseContainerId, Reserved } from "./commands/names";
export { STAGE1_OVERRIDE_ANNOTATION, sandboxArgs } from "./commands/sandbox-args";
export { DEFAULT_RKT_CONFIG, type RktConfig } from "./config";
export { RktImageStore } from "./image-store";
export { convertChunk, MAX_CRI_LINE_BYTES, parseRawLine, toCriLines } from "./logs/cri-format";
export { LogPump } from "./logs/log-pump";
export { parseFetchOutput, parseImageList, parseManifest } from "./parse/image";
export { parseAppStatus, parsePodList, parsePodStatus, podIp } from "./parse/pod";
export { isWithin, RktPodSandboxRuntime, sliceOf } from "./pod-sandbox-runtime";
export { parseRktVersion, RktRuntimeInfo } from "./runtime-info";
export { ensureSharedMount, mountState } from "./shared-mount";
export { RktSnapshot } from "./snapshot";
export { type RktStatsOptions, RktStatsProvider } from "./stats-provider";
