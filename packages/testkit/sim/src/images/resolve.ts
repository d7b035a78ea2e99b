/** Finding stored images from the strings rkt's commands accept (never fetching). */
import { findImageByName, findImagesByIdPrefix, type ImageRecord } from "../store/images";
import { classifyImageString, MALFORMED_APP_STRING, parseAppcName, parseDockerRef } from "./names";

const NOT_FOUND_TAIL =
  "either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled";

/** For `app add`: ids, short ids, appc names, docker:// references; errors are rkt's texts. */
export function resolveRunImage(dir: string, s: string): ImageRecord {
  const kind = classifyImageString(s);
  switch (kind.kind) {
    case "id": {
      const found = findImagesByIdPrefix(dir, kind.id);
      if (found.length === 0) throw new Error("no image IDs found");
      if (found.length > 1) throw new Error(`ambiguous image ID: ${JSON.stringify(s)}`);
      return found[0]!;
    }
    case "docker": {
      const ref = parseDockerRef(kind.url);
      const rec = ref ? findImageByName(dir, ref.appcName, ref.tag ?? ref.digest) : undefined;
      if (!rec) throw new Error(`unable to fetch docker image from URL ${JSON.stringify(s)}: ${NOT_FOUND_TAIL}`);
      return rec;
    }
    case "name": {
      const parsed = parseAppcName(kind.name);
      if (!parsed) throw new Error(MALFORMED_APP_STRING);
      const rec = findImageByName(dir, parsed.name, parsed.version);
      if (!rec) throw new Error(`unable to fetch image from image name ${JSON.stringify(s)}: ${NOT_FOUND_TAIL}`);
      return rec;
    }
    case "file":
    case "https":
      throw new Error(`unable to fetch image from URL ${JSON.stringify(s)}: ${NOT_FOUND_TAIL}`);
    case "error":
      throw new Error(kind.message);
  }
}

/** For cat-manifest and image rm: a (short) id or an appc name[:version]. */
export function resolveStoreImage(dir: string, s: string): ImageRecord {
  if (s.split(":").length > 2) throw new Error(MALFORMED_APP_STRING);
  if (/^sha512-/i.test(s)) {
    const found = findImagesByIdPrefix(dir, s);
    if (found.length === 0) throw new Error("no image IDs found");
    if (found.length > 1) throw new Error(`ambiguous image ID: ${JSON.stringify(s)}`);
    return found[0]!;
  }
  const parsed = parseAppcName(s)!;
  const rec = findImageByName(dir, parsed.name, parsed.version);
  if (!rec) {
    const labels = parsed.version ? `version:${parsed.version}` : "";
    throw new Error(`cannot find aci satisfying name: ${JSON.stringify(parsed.name)} and labels: ${labels} in the local store`);
  }
  return rec;
}
