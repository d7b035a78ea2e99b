/** `rkt list`: every pod, as JSON (null when there are none) or rkt's tab-aligned table. */
import type { Context } from "../cli/command";
import { fail } from "../errors";
import { listPods, podState } from "../store/pods";
import { stdout } from "../util/out";
import { tabwrite } from "../util/tabwriter";
import { humanizeAgo } from "../util/time";
import { checkFormat, formatJson, networksText, podJson } from "./render";

export function runList(ctx: Context): number {
  const format = ctx.flags.str("format");
  const bad = checkFormat(format);
  if (bad) throw fail(ctx.name, bad);
  const pods = listPods(ctx.globals.dir);
  if (format !== "") {
    stdout.line(
      pods.length === 0
        ? "null"
        : formatJson(
            format,
            pods.map((p) => podJson(p)),
          ),
    );
    return 0;
  }
  const full = ctx.flags.bool("full");
  let text = ctx.flags.bool("no-legend") ? "" : "UUID\tAPP\tIMAGE NAME\tSTATE\tCREATED\tSTARTED\tNETWORKS\n";
  for (const pod of pods) {
    const state = podState(pod);
    const uuid = full ? pod.uuid : pod.uuid.slice(0, 8);
    const created = humanizeAgo(BigInt(pod.createdAt));
    const started = pod.startedAt !== undefined ? humanizeAgo(BigInt(pod.startedAt)) : "";
    const [first, ...rest] = pod.apps;
    const firstApp = first ? [first.name, first.imageName] : ["-", "-"];
    text += `${[uuid, ...firstApp, state, created, started, networksText(pod)].join("\t")}\n`;
    for (const app of rest) text += `\t${app.name}\t${app.imageName}\t\t\t\t\n`;
  }
  stdout.write(tabwrite(text));
  return 0;
}
