import type { AuthConfig, FilesystemUsage, Image } from "../model/image";

export interface ImageStore {
  /** Fetches the image and resolves with its id. */
  pull(ref: string, auth: AuthConfig | undefined): Promise<string>;
  list(): Promise<readonly Image[]>;
  /** The image a reference (tag, digest, id or id prefix) names, if present. */
  find(ref: string): Promise<Image | undefined>;
  remove(id: string): Promise<void>;
  fsInfo(): Promise<readonly FilesystemUsage[]>;
}
