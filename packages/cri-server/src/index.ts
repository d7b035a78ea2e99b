export { protoFieldName, toServiceError } from "./grpc/status";
export { createLogger, type Logger, REDACTED_PATHS } from "./logging";
export { CriServer, type CriServerOptions, createServerContainer, MAX_MESSAGE_BYTES } from "./server";
export { TOKENS } from "./tokens";
