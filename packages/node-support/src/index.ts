export * from "./atomic-file";
export * from "./proc";
export * from "./sleep";
