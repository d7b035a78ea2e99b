/**
 * `rkt app sandbox`: creates an empty mutable pod and then IS its supervisor, blocking for the pod's whole
 * life. It exits 0 once the pod has stopped (`rkt stop`, SIGTERM, SIGINT or SIGHUP).
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Context } from "../cli/command";
import { FlagError, fail } from "../errors";
import { stage1Manifest } from "../images/manifest";
import { imageIdFor, parseAppcName } from "../images/names";
import { findImageByName, findImagesByIdPrefix, type ImageRecord, imageListName, putImage, touchImage } from "../store/images";
import { netLockDir, podDir, podRecordFile, podsRunDir } from "../store/paths";
import { deletePodDir, type PodRecord } from "../store/pods";
import { enterPodScope } from "../supervisor/cgroup";
import { allocateNets, parseNetFlag } from "../supervisor/network";
import { Supervisor } from "../supervisor/supervisor";
import { withDirLock, writeFileAtomic } from "../util/fsx";
import { stderr } from "../util/out";
import { procStartTime } from "../util/proc";
import { nowNs } from "../util/time";

const DEFAULT_STAGE1 = { name: "coreos.com/rkt/stage1-coreos", version: "1.30.0" };

/** `--flag=key=value` occurrences as a map (later keys win). */
export function keyValues(flagName: string, values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new FlagError(`invalid argument ${JSON.stringify(v)} for "--${flagName}" flag: malformed key=value pair: ${v}`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function envInt(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const n = Number(env[name]);
  return env[name] !== undefined && env[name] !== "" && Number.isFinite(n) && n >= 0 ? n : def;
}

/** The stage1 image: --stage1-name/--stage1-hash must be in the store; otherwise rkt's built-in default. */
function stage1Image(ctx: Context): ImageRecord {
  const dir = ctx.globals.dir;
  const byName = ctx.flags.str("stage1-name");
  if (byName) {
    const parsed = parseAppcName(byName);
    const rec = parsed ? findImageByName(dir, parsed.name, parsed.version) : undefined;
    if (!rec) throw fail(ctx.name, `could not fetch stage1 image ${JSON.stringify(byName)}: discovery failed`);
    return rec;
  }
  const byHash = ctx.flags.str("stage1-hash");
  if (byHash) {
    const found = findImagesByIdPrefix(dir, byHash);
    if (found.length !== 1) throw fail(ctx.name, `could not fetch stage1 image ${JSON.stringify(byHash)}: no image IDs found`);
    return found[0]!;
  }
  const existing = findImageByName(dir, DEFAULT_STAGE1.name, DEFAULT_STAGE1.version);
  if (existing) return existing;
  // rkt imports its default stage1 (from the stage1 images directory) into the store on first use.
  const now = nowNs().toString();
  const rec: ImageRecord = {
    id: imageIdFor(`appc:${DEFAULT_STAGE1.name}:${DEFAULT_STAGE1.version}`),
    name: DEFAULT_STAGE1.name,
    version: DEFAULT_STAGE1.version,
    manifest: stage1Manifest(DEFAULT_STAGE1.name, DEFAULT_STAGE1.version),
    importTime: now,
    lastUsedTime: now,
    size: 166657283,
  };
  putImage(dir, rec);
  return rec;
}

const PORT_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*:(tcp|udp):\d{1,5}:[^:]*:\d{1,5}$/;

export async function runSandbox(ctx: Context): Promise<number> {
  const { flags: f, globals: g } = ctx;
  const dns = f.slice("dns");
  const dnsSearch = f.slice("dns-search");
  const dnsOpt = f.slice("dns-opt");
  const dnsDomain = f.str("dns-domain");
  if (dns.includes("host") && (dns.length > 1 || dnsSearch.length > 0 || dnsOpt.length > 0 || dnsDomain !== "")) {
    throw fail(ctx.name, "error with dns flags: no other --dns options allowed when --dns=host is passed");
  }
  const ports = f.slice("port");
  for (const p of ports) {
    if (!PORT_RE.test(p))
      throw new FlagError(`invalid argument ${JSON.stringify(p)} for "--port" flag: bad port format ${JSON.stringify(p)}`);
  }
  const annotations = keyValues("annotation", f.all("annotation"));
  const userAnnotations = keyValues("user-annotation", f.all("user-annotation"));
  const userLabels = keyValues("user-label", f.all("user-label"));
  const nets = parseNetFlag(f.all("net"));
  const logDir = annotations["coreos.com/rkt/experiment/kubernetes-log-dir"];
  if (logDir) annotations["coreos.com/rkt/experiment/kubernetes-log-dir"] = path.resolve(logDir);
  const uuidFile = f.str("uuid-file-save") ? path.resolve(f.str("uuid-file-save")) : undefined;
  const stage1 = stage1Image(ctx);
  touchImage(g.dir, stage1.id, nowNs());

  const uuid = randomUUID();
  const rec: PodRecord = {
    uuid,
    createdAt: nowNs().toString(),
    state: "running",
    ready: false,
    pid: process.pid,
    pidStart: procStartTime(process.pid) ?? 0,
    annotations,
    userAnnotations,
    userLabels,
    hostname: f.str("hostname") || `rkt-${uuid}`,
    dns,
    dnsSearch,
    dnsOpt,
    dnsDomain,
    hostsEntries: f.slice("hosts-entry"),
    ports,
    nets: [],
    stage1Id: stage1.id,
    debug: g.debug,
    apps: [],
    removedApps: [],
  };
  const finalDir = podDir(g.dir, uuid);
  fs.mkdirSync(podsRunDir(g.dir), { recursive: true });
  fs.mkdirSync(path.dirname(netLockDir(g.dir)), { recursive: true });
  // The record becomes visible (renamed into place) while the IP lock is held, so no two pods share an IP.
  withDirLock(netLockDir(g.dir), () => {
    rec.nets = nets === "host" ? [] : allocateNets(g.dir, uuid, nets);
    const staging = path.join(podsRunDir(g.dir), `.embryo-${uuid}`);
    fs.mkdirSync(staging);
    writeFileAtomic(path.join(staging, path.basename(podRecordFile(g.dir, uuid))), `${JSON.stringify(rec)}\n`);
    // rkt's pod pid file: the stage1 process (here the sandbox itself), whose cgroup holds the apps'.
    fs.writeFileSync(path.join(staging, "pid"), String(process.pid));
    fs.renameSync(staging, finalDir);
  });

  if (g.debug) {
    for (const line of [
      `image: using image from local store for image name ${imageListName(stage1)}`,
      "stage0: Preparing stage1",
      "stage0: Writing image manifest",
      "stage0: Writing pod manifest",
    ]) {
      stderr.line(line);
    }
  }
  stderr.line('sandbox: group "rkt" not found, will use default gid when rendering images');

  process.chdir(finalDir);
  const scope = enterPodScope(uuid);
  const sup = new Supervisor(g.dir, rec, {
    readyDelayMs: envInt(ctx.env, "RKT_SIM_READY_DELAY_MS", 150),
    appStopTimeoutMs: envInt(ctx.env, "RKT_SIM_APP_STOP_TIMEOUT_MS", 90_000),
    env: ctx.env,
    ...(scope ? { scope } : {}),
  });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => void sup.stopPod(false));
  // A pod that failed to start is stopped (its scope cgroup removed) and deleted.
  const abort = async (message: string): Promise<never> => {
    await sup.stopPod(true);
    process.chdir("/");
    deletePodDir(g.dir, uuid);
    throw fail(ctx.name, message);
  };
  try {
    await sup.listen();
  } catch (e) {
    await abort(`error setting up stage1: ${(e as Error).message}`);
  }
  if (uuidFile) {
    try {
      writeFileAtomic(uuidFile, uuid);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const reason = code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
      await abort(`error saving pod UUID to file: open ${uuidFile}: ${reason}`);
    }
  }

  if (g.debug) {
    const netArg = nets === "host" ? "host" : nets.join(",");
    stderr.line("stage0: Setting up stage1");
    stderr.line(`stage0: Wrote filesystem to ${finalDir}`);
    stderr.line(`stage0: Pivoting to filesystem ${finalDir}`);
    stderr.line(
      `stage0: Execing [${finalDir}/stage1/rootfs/init --debug --net=${netArg} --local-config=${g.localConfig} --hostname=${rec.hostname} --mutable ${uuid}]`,
    );
    stderr.line("stage1: warning: error setting journal ACLs, you'll need root to read the pod journal");
    stderr.line('  └─group "rkt" not found');
  } else {
    stderr.line(`stage1: warning: error setting journal ACLs, you'll need root to read the pod journal: group "rkt" not found`);
  }
  sup.scheduleReady();
  await sup.done;
  return 0;
}
