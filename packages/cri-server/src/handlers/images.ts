import type { ServerWritableStream } from "@grpc/grpc-js";
import type { CriRuntime } from "@rktlet/core";
import * as api from "@rktlet/cri-api";
import { inject, injectable } from "tsyringe";
import { auth, nonEmpty } from "../convert/to-domain";
import { filesystemUsage, image } from "../convert/to-proto";
import { writeInBatches } from "../grpc/batches";
import { imageSpecRequest, validate } from "../grpc/validation";
import { TOKENS } from "../tokens";

/** The ImageService: list, stream, status, pull, remove and filesystem usage. */
@injectable()
export class ImageHandlers {
  constructor(@inject(TOKENS.Runtime) private readonly runtime: CriRuntime) {}

  async list(req: api.ListImagesRequest): Promise<api.ListImagesResponse> {
    return { images: (await this.runtime.images.list({ image: nonEmpty(req.filter?.image?.image) })).map(image) };
  }

  async stream(call: ServerWritableStream<api.StreamImagesRequest, api.StreamImagesResponse>): Promise<void> {
    const items = (await this.runtime.images.list({ image: nonEmpty(call.request.filter?.image?.image) })).map(image);
    await writeInBatches(call, items, (images) => ({ images }));
  }

  /** An absent image is an empty answer, not an error. */
  async status(req: api.ImageStatusRequest): Promise<api.ImageStatusResponse> {
    validate(imageSpecRequest, req);
    const found = await this.runtime.images.status(req.image?.image ?? "");
    return api.ImageStatusResponse.fromPartial({ image: found && image(found), info: {} });
  }

  async pull(req: api.PullImageRequest): Promise<api.PullImageResponse> {
    validate(imageSpecRequest, req);
    return { imageRef: await this.runtime.images.pull(req.image?.image ?? "", auth(req.auth)) };
  }

  async remove(req: api.RemoveImageRequest): Promise<api.RemoveImageResponse> {
    validate(imageSpecRequest, req);
    await this.runtime.images.remove(req.image?.image ?? "");
    return {};
  }

  async fsInfo(_req: api.ImageFsInfoRequest): Promise<api.ImageFsInfoResponse> {
    const usage = (await this.runtime.images.fsInfo()).map(filesystemUsage);
    return { imageFilesystems: usage, containerFilesystems: usage };
  }
}
