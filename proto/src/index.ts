// The CRI v1 API as TypeScript: messages, enums, grpc-js service definitions and clients.
export * from "./gen/runtime/v1/api";
