export * from "./atomic-file";
export * from "./mountinfo";
export * from "./proc";
export * from "./sleep";
