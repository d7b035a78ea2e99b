/**
 * @rktlet/testkit: in-memory fakes of every rktlet port, a manual clock, typed CRI clients, and a helper
 * that runs a real rktlet CRI server on a temporary unix socket. For rktlet's tests and for yours.
 */

export * from "./client";
export * from "./clock";
export * from "./fakes/index";
export * from "./rkt-sim";
export * from "./server";
export * from "./specs";
export * from "./streaming/spdy-client";
export * from "./streaming/ws-client";
