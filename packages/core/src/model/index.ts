export * from "./common";
export * from "./container";
export * from "./events";
export * from "./image";
export * from "./pod-sandbox";
export * from "./runtime";
export * from "./stats";
