/**
 * @rktlet/core: the CRI domain of rktlet. Pure TypeScript: no gRPC, no child processes, no file system.
 * Backends implement the ports; the use cases give every backend the CRI semantics.
 */
export * from "./errors";
export * from "./model/index";
export * from "./ports/index";
export * from "./runtime";
export * from "./usecases/index";
