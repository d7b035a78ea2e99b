import type { StringMap } from "./common";

export interface Image {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly size: bigint;
  /** Numeric user the image runs as, when its config names a uid. */
  readonly uid: bigint | undefined;
  /** User name the image runs as, when its config names one that is not numeric. */
  readonly username: string;
  readonly pinned: boolean;
  readonly annotations: StringMap;
}

export interface ImageFilter {
  readonly image?: string | undefined;
}

/** Registry credentials. Never logged, never put on a command line. */
export interface AuthConfig {
  readonly username: string;
  readonly password: string;
  readonly auth: string;
  readonly serverAddress: string;
  readonly identityToken: string;
  readonly registryToken: string;
}

export interface FilesystemUsage {
  readonly timestamp: bigint;
  readonly mountpoint: string;
  readonly usedBytes: bigint;
  readonly inodesUsed: bigint;
}
