/** `rkt image fetch|list|cat-manifest|rm` (and the top-level `rkt fetch`). */
import type { Context } from "../cli/command";
import { EXIT_FAIL, fail } from "../errors";
import { fetchImage, type PullPolicy } from "../images/fetch";
import { resolveStoreImage } from "../images/resolve";
import { type ImageRecord, imageListName, listImages, removeImage } from "../store/images";
import { toGoJson, toGoJsonIndent } from "../util/json";
import { stderr, stdout } from "../util/out";
import { tabwrite } from "../util/tabwriter";
import { humanizeAgo } from "../util/time";
import { checkFormat, formatJson } from "./render";

const shortId = (id: string): string => id.slice(0, "sha512-".length + 12);

export function runImageFetch(ctx: Context): number {
  if (ctx.args.length === 0) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  let policy = ctx.flags.str("pull-policy");
  if (ctx.flags.bool("store-only")) policy = "never";
  if (ctx.flags.bool("no-store")) policy = "update";
  if (!["new", "update", "never"].includes(policy)) throw fail(ctx.name, `invalid pull policy ${JSON.stringify(policy)}`);
  for (const image of ctx.args) {
    const id = fetchImage(image, policy as PullPolicy, ctx.globals, ctx.env);
    stdout.line(ctx.flags.bool("full") ? id : shortId(id));
  }
  return 0;
}

const SORT_KEYS: Record<string, (r: ImageRecord) => string | bigint | number> = {
  id: (r) => r.id,
  name: (r) => imageListName(r),
  importtime: (r) => BigInt(r.importTime),
  lastused: (r) => BigInt(r.lastUsedTime),
  size: (r) => r.size,
};

/** humanize.IBytes, as rkt's image list prints sizes. */
function iBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  if (n < 10) return `${n} B`;
  const e = Math.min(Math.floor(Math.log(n) / Math.log(1024)), units.length - 1);
  const v = n / 1024 ** e;
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${units[e]}`;
}

export function runImageList(ctx: Context): number {
  const format = ctx.flags.str("format");
  const bad = checkFormat(format);
  if (bad) throw fail(ctx.name, bad);
  const images = listImages(ctx.globals.dir);
  const sortFields = ctx.flags.slice("sort");
  for (const f of sortFields) if (!SORT_KEYS[f]) throw fail(ctx.name, `unknown sort field: ${JSON.stringify(f)}`);
  const desc = ctx.flags.str("order") === "desc";
  images.sort((a, b) => {
    for (const f of sortFields) {
      const ka = SORT_KEYS[f]!(a);
      const kb = SORT_KEYS[f]!(b);
      if (ka !== kb) return (ka < kb ? -1 : 1) * (desc ? -1 : 1);
    }
    return 0;
  });
  if (format !== "") {
    const rows = images.map((r) => ({
      id: r.id,
      name: imageListName(r),
      import_time: BigInt(r.importTime),
      last_used_time: BigInt(r.lastUsedTime),
      size: r.size,
    }));
    stdout.line(rows.length === 0 ? "null" : formatJson(format, rows));
    return 0;
  }
  const full = ctx.flags.bool("full");
  const fields = ctx.flags.slice("fields");
  const header: Record<string, string> = {
    id: "ID",
    name: "NAME",
    size: "SIZE",
    importtime: "IMPORT TIME",
    lastused: "LAST USED",
    latest: "LATEST",
  };
  const cell = (r: ImageRecord, f: string): string => {
    if (f === "id") return full ? r.id : shortId(r.id);
    if (f === "name") return imageListName(r);
    if (f === "size") return full ? String(r.size) : iBytes(r.size);
    if (f === "importtime") return humanizeAgo(BigInt(r.importTime));
    if (f === "lastused") return humanizeAgo(BigInt(r.lastUsedTime));
    return "false";
  };
  let text = ctx.flags.bool("no-legend") ? "" : `${fields.map((f) => header[f] ?? f.toUpperCase()).join("\t")}\n`;
  for (const r of images) text += `${fields.map((f) => cell(r, f)).join("\t")}\n`;
  stdout.write(tabwrite(text));
  return 0;
}

export function runImageCatManifest(ctx: Context): number {
  if (ctx.args.length !== 1) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  let rec: ImageRecord;
  try {
    rec = resolveStoreImage(ctx.globals.dir, ctx.args[0]!);
  } catch (e) {
    throw fail(ctx.name, (e as Error).message);
  }
  stdout.line(ctx.flags.bool("pretty-print") ? toGoJsonIndent(rec.manifest, "\t") : toGoJson(rec.manifest));
  return 0;
}

export function runImageRm(ctx: Context): number {
  if (ctx.args.length === 0) {
    stdout.write(ctx.usage());
    return EXIT_FAIL;
  }
  let removed = 0;
  for (const s of ctx.args) {
    let rec: ImageRecord;
    try {
      rec = resolveStoreImage(ctx.globals.dir, s);
    } catch {
      continue;
    }
    if (removeImage(ctx.globals.dir, rec.id)) {
      stdout.line(`successfully removed aci for image: "${rec.id}"`);
      removed++;
    }
  }
  stderr.line(removed === 0 ? "rm: no image IDs found" : `rm: ${removed} image(s) successfully removed`);
  return 0;
}
