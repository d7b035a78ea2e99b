import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CheckResult, type DoctorContext, result } from "../types";

const ID = "network";
const TITLE = "pod network";
/** Networks rkt has without any configuration file. */
const BUILT_IN = new Set(["default", "host", "none"]);

interface NetConf {
  readonly file: string;
  readonly name: string;
  readonly type: string;
}

/** The CNI configurations rkt reads from `<local config>/net.d`, by name; unreadable files are listed apart. */
async function netConfs(dir: string): Promise<{ confs: NetConf[]; broken: string[] }> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".conf") || f.endsWith(".conflist")).sort();
  const confs: NetConf[] = [];
  const broken: string[] = [];
  for (const f of files) {
    try {
      const o = JSON.parse(await readFile(join(dir, f), "utf8")) as { name?: unknown; type?: unknown; plugins?: { type?: unknown }[] };
      const type = typeof o.type === "string" ? o.type : typeof o.plugins?.[0]?.type === "string" ? (o.plugins[0].type as string) : "";
      if (typeof o.name === "string") confs.push({ file: f, name: o.name, type });
      else broken.push(`${f} (no name)`);
    } catch {
      broken.push(`${f} (not JSON)`);
    }
  }
  return { confs, broken };
}

/** The --net network exists: built into rkt, or a CNI configuration of that name in rkt's net.d. */
export async function checkNetwork(ctx: DoctorContext): Promise<CheckResult> {
  const { options, host } = ctx;
  const net = options.net;
  const dir = join(host.rktLocalConfigDir, "net.d");
  const { confs, broken } = await netConfs(dir);
  const brokenNote = broken.length > 0 ? `; ignored in ${dir}: ${broken.join(", ")}` : "";
  const own = confs.find((c) => c.name === net);
  if (own) return result(ID, TITLE, "ok", `--net ${net}: ${join(dir, own.file)}${own.type ? ` (type ${own.type})` : ""}${brokenNote}`);
  if (BUILT_IN.has(net)) {
    const what = net === "default" ? "rkt's built-in network (a ptp network, 172.16.28.0/24)" : `rkt's built-in ${net} network`;
    return result(ID, TITLE, "ok", `--net ${net}: ${what}${brokenNote}`);
  }
  const known = confs.map((c) => c.name);
  return result(
    ID,
    TITLE,
    "fail",
    `--net ${net}: no CNI configuration of that name in ${dir}${known.length > 0 ? ` (it has: ${known.join(", ")})` : ""}${brokenNote}; kubelet would see NetworkReady=false`,
    `add a configuration named "${net}" to ${dir}, or start rktlet with another --net (default: rkt's built-in network)`,
  );
}
