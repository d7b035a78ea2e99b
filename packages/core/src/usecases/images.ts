import type { AuthConfig, FilesystemUsage, Image, ImageFilter } from "../model/image";
import type { ImageStore } from "../ports/image-store";
import { checkImageRef, ensure } from "./rules";

/** CRI image semantics over any ImageStore. */
export class ImageService {
  constructor(private readonly images: ImageStore) {}

  async pull(ref: string, auth: AuthConfig | undefined): Promise<string> {
    ensure("image.image", ref, checkImageRef);
    return this.images.pull(ref, auth);
  }

  async list(filter?: ImageFilter): Promise<readonly Image[]> {
    if (filter?.image) {
      ensure("filter.image.image", filter.image, checkImageRef);
      const found = await this.images.find(filter.image);
      return found ? [found] : [];
    }
    return this.images.list();
  }

  /** The image, or undefined when absent: the CRI answers an empty image rather than an error. */
  async status(ref: string): Promise<Image | undefined> {
    ensure("image.image", ref, checkImageRef);
    return this.images.find(ref);
  }

  /** Removing an absent image is success. */
  async remove(ref: string): Promise<void> {
    ensure("image.image", ref, checkImageRef);
    const found = await this.images.find(ref);
    if (found) await this.images.remove(found.id);
  }

  async fsInfo(): Promise<readonly FilesystemUsage[]> {
    return this.images.fsInfo();
  }
}
