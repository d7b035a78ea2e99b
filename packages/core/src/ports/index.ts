export * from "./app-runtime";
export * from "./backend";
export * from "./clock";
export * from "./image-store";
export * from "./pod-sandbox-runtime";
export * from "./runtime-info";
export * from "./stats-provider";
export * from "./unit-manager";
