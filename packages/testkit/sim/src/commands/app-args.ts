/**
 * rkt's per-app argument syntax after the pod uuid: `IMAGE [app flags…] [-- ARGS… ---]`. App flags are
 * parsed by pflag up to `--` or the next image; `---` ends the app's arguments. A `---` where a flag is
 * expected is pflag's "bad flag syntax: ---".
 */
import { type FlagDef, flag, parseFlags } from "../cli/flags";
import { FlagError } from "../errors";
import type { MountRecord } from "../store/pods";
import { keyValues } from "./sandbox";

const IO_MODES = ["null", "tty", "stream", "log"];

function appFlagDefs(attach: boolean): Map<string, FlagDef> {
  const defs = [
    flag("annotation", "value", "", "set the app's annotations (example: '--annotation=foo=bar')"),
    flag("caps-remove", "value", "", "capability to remove (example: '--caps-remove=CAP_SYS_CHROOT,CAP_MKNOD')"),
    flag("caps-retain", "value", "", "capability to retain (example: '--caps-retain=CAP_SYS_ADMIN')"),
    flag("cpu", "value", "", "cpu limit for the preceding image (example: '--cpu=500m')"),
    flag("cpu-shares", "value", "", "cpu-shares assigns the specified CPU time share weight (example: '--cpu-shares=2048')"),
    flag("environment", "value", "", "set the app's environment variables (example: '--environment=foo=bar')"),
    flag("exec", "value", "", "override the exec command for the preceding image"),
    flag("group", "value", "", "group override for the preceding image (example: '--group=group')"),
    flag("label", "value", "", "set the app's labels"),
    flag("memory", "value", "", "memory limit for the preceding image (example: '--memory=16Mi', '--memory=50M', '--memory=1G')"),
    flag("mnt-volume", "value", "", "volumes to mount into the app (example: '--mnt-volume=name=data,kind=host,source=/tmp,target=/data')"),
    flag("mount", "value", "", "mount point binding a volume to a path within an app"),
    flag("name", "value", "", "set the name of the app (example: '--name=foo'). If not set, then the app name default to the image's name"),
    flag("oom-score-adj", "value", "", "oom-score-adj isolator override"),
    flag("readonly-rootfs", "value", "", "if set, the app's rootfs will be mounted read-only", "true"),
    flag("seccomp", "value", "", "seccomp filter override (example: '--seccomp mode=retain,errno=EPERM,chmod,chown')"),
    flag(
      "supplementary-gids",
      "value",
      "",
      "supplementary group IDs override for the preceding image (examples: '--supplementary-gids=1024,2048'",
    ),
    flag("user", "value", "", "user override for the preceding image (example: '--user=user')"),
    flag("user-annotation", "value", "", "set the app's annotations (example: '--user-annotation=foo=bar')"),
    flag("user-label", "value", "", "set the app's labels (example: '--user-label=foo=bar')"),
    flag("working-dir", "value", "", "override the working directory of the preceding image"),
  ];
  if (attach) {
    defs.push(
      flag("stdin", "value", "", "stdin mode for the preceding application (example: '--stdin=null')"),
      flag("stdout", "value", "", "stdout mode for the preceding application (example: '--stdout=log')"),
      flag("stderr", "value", "", "stderr mode for the preceding application (example: '--stderr=log')"),
    );
  }
  return new Map(defs.map((d) => [d.name, d]));
}

export interface AppArgs {
  image: string;
  name?: string;
  exec?: string;
  /** Arguments between `--` and `---`; undefined when there was no `--`. */
  args?: string[];
  environment: [string, string][];
  user?: string;
  group?: string;
  supplementaryGids: number[];
  workingDir?: string;
  readOnlyRootfs: boolean;
  annotations: Record<string, string>;
  userAnnotations: Record<string, string>;
  userLabels: Record<string, string>;
  mounts: MountRecord[];
  isolators: Record<string, string>;
  stdin: string;
  stdout: string;
  stderr: string;
}

const AC_NAME = /^[a-z0-9]+(?:[-][a-z0-9]+)*$/;

function invalid(name: string, value: string, why: string): FlagError {
  return new FlagError(`invalid argument ${JSON.stringify(value)} for "--${name}" flag: ${why}`);
}

function parseMntVolume(v: string): MountRecord {
  const kv: Record<string, string> = {};
  for (const part of v.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw invalid("mnt-volume", v, `malformed parameter ${JSON.stringify(part)}`);
    kv[part.slice(0, eq)] = part.slice(eq + 1);
  }
  if (!kv.name || !kv.target) throw invalid("mnt-volume", v, "name and target are required");
  const kind = kv.kind ?? "empty";
  if (kind !== "host" && kind !== "empty") throw invalid("mnt-volume", v, `unknown volume kind ${JSON.stringify(kind)}`);
  if (kind === "host" && !kv.source) throw invalid("mnt-volume", v, "host volumes need a source");
  return { name: kv.name, kind, source: kv.source ?? "", target: kv.target, readOnly: kv.readOnly === "true" };
}

/** Index where the app flags end: at `--`, or at a token that is neither a flag nor a flag's value. */
function flagsEnd(tokens: readonly string[], defs: ReadonlyMap<string, FlagDef>): number {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === "--" || !t.startsWith("-") || t.length === 1) return i;
    if (t.startsWith("--") && !t.includes("=") && defs.get(t.slice(2))?.noOptDefVal === undefined && defs.has(t.slice(2))) i++;
  }
  return tokens.length;
}

export function parseAppArgs(tokens: readonly string[], attach: boolean): AppArgs {
  const defs = appFlagDefs(attach);
  const [image, ...rest] = tokens;
  if (image === undefined) throw new FlagError("must provide exactly one image");
  const end = flagsEnd(rest, defs);
  const { flags } = parseFlags(rest.slice(0, end), defs, true);
  let args: string[] | undefined;
  let after = rest.slice(end);
  if (after[0] === "--") {
    const close = after.indexOf("---");
    args = close < 0 ? after.slice(1) : after.slice(1, close);
    after = close < 0 ? [] : after.slice(close + 1);
  }
  if (after.length > 0) throw new FlagError("must provide exactly one image");

  const name = flags.has("name") ? flags.str("name") : undefined;
  if (name !== undefined && !AC_NAME.test(name)) {
    throw invalid("name", name, 'ACName must contain only lower case alphanumeric characters plus "-"');
  }
  const io = (s: "stdin" | "stdout" | "stderr"): string => {
    const v = flags.str(s);
    if (v !== "" && !IO_MODES.includes(v)) throw invalid(s, v, `unknown ${s} mode ${JSON.stringify(v)}`);
    return v;
  };
  const gids = flags.slice("supplementary-gids").map((g) => {
    if (!/^\d+$/.test(g)) throw invalid("supplementary-gids", flags.str("supplementary-gids"), `invalid gid ${JSON.stringify(g)}`);
    return Number(g);
  });
  const ro = flags.str("readonly-rootfs");
  const isolators: Record<string, string> = {};
  for (const k of ["cpu", "memory", "cpu-shares", "oom-score-adj", "seccomp", "caps-retain", "caps-remove"]) {
    if (flags.has(k)) isolators[k] = flags.all(k).join(",");
  }
  const out: AppArgs = {
    image,
    environment: flags.all("environment").map((e) => {
      const eq = e.indexOf("=");
      if (eq <= 0) throw invalid("environment", e, "environment variables must be in the form key=value");
      return [e.slice(0, eq), e.slice(eq + 1)];
    }),
    supplementaryGids: gids,
    readOnlyRootfs: ro === "true",
    annotations: keyValues("annotation", flags.all("annotation")),
    userAnnotations: keyValues("user-annotation", flags.all("user-annotation")),
    userLabels: keyValues("user-label", flags.all("user-label")),
    mounts: flags.all("mnt-volume").map(parseMntVolume),
    isolators,
    stdin: io("stdin"),
    stdout: io("stdout"),
    stderr: io("stderr"),
  };
  if (name !== undefined) out.name = name;
  if (flags.has("exec")) out.exec = flags.str("exec");
  if (args !== undefined) out.args = args;
  if (flags.has("user")) out.user = flags.str("user");
  if (flags.has("group")) out.group = flags.str("group");
  if (flags.has("working-dir")) out.workingDir = flags.str("working-dir");
  return out;
}
