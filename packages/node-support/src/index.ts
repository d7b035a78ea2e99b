export * from "./atomic-file";
export * from "./proc";
