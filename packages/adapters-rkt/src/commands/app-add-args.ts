import type { ContainerSpec } from "@rktlet/core";
import { invalidArgument } from "@rktlet/core";
import { Reserved } from "./names";

/** Docker's default capability set, which non-privileged containers start from. */
export const DEFAULT_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Every Linux capability (as of Linux 6.x), for privileged containers. */
export const ALL_CAPS = [
  ...DEFAULT_CAPS,
  "CAP_DAC_READ_SEARCH",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_LEASE",
  "CAP_AUDIT_CONTROL",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

const capName = (c: string) => (c.toUpperCase().startsWith("CAP_") ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);

/** The capability set after CRI add/drop lists (which may say ALL). */
export function capabilities(add: readonly string[], drop: readonly string[]): string[] {
  let caps = new Set(DEFAULT_CAPS);
  if (drop.some((c) => c.toUpperCase() === "ALL")) caps = new Set();
  else for (const c of drop) caps.delete(capName(c));
  if (add.some((c) => c.toUpperCase() === "ALL")) caps = new Set(ALL_CAPS);
  else for (const c of add) caps.add(capName(c));
  return [...caps];
}

export interface AppAddContext {
  readonly appName: string;
  /** Relative to the pod's raw log directory. */
  readonly rawLogPath: string;
}

/** CPU quota/period as rkt's millicore form (`250m`). */
function millicores(quota: bigint, period: bigint): string {
  return `${(quota * 1000n) / period}m`;
}

/**
 * The arguments after `rkt app <global flags> add <uuid> <image>`, in the contract's order (§1.5), with
 * the original's gaps closed: --group is sent, seccomp follows the CRI SecurityProfile, and every mount
 * path is checked to fit rkt's `key=value,…` volume syntax.
 */
export function appAddArgs(spec: ContainerSpec, ctx: AppAddContext): string[] {
  const args = [
    `--annotation=coreos.com/rkt/experiment/kubernetes-log-path=${ctx.rawLogPath}`,
    `--name=${ctx.appName}`,
    // stdin stays open for attach only when the container asked for it; otherwise the app reads EOF
    `--stdin=${spec.stdin ? "stream" : "null"}`,
    "--stdout=stream",
    "--stderr=stream",
  ];
  for (const [k, v] of Object.entries(spec.annotations)) args.push(`--user-annotation=${k}=${v}`);
  const reserved: [string, string][] = [
    [Reserved.ImageName, spec.image.image],
    [Reserved.ContainerName, spec.metadata.name],
    [Reserved.ContainerAttempt, String(spec.metadata.attempt)],
    [Reserved.LogPath, spec.logPath],
  ];
  for (const [k, v] of reserved) if (v !== "") args.push(`--user-annotation=${k}=${v}`);
  for (const [k, v] of Object.entries(spec.labels)) args.push(`--user-label=${k}=${v}`);
  for (const e of spec.envs) args.push(`--environment=${e.key}=${e.value}`);

  const r = spec.resources;
  if (r) {
    if (r.cpuShares > 0n) args.push(`--cpu-shares=${r.cpuShares}`);
    if (r.cpuQuota > 0n && r.cpuPeriod > 0n) args.push(`--cpu=${millicores(r.cpuQuota, r.cpuPeriod)}`);
    if (r.memoryLimitInBytes > 0n) args.push(`--memory=${r.memoryLimitInBytes}`);
    if (r.oomScoreAdj !== 0n) args.push(`--oom-score-adj=${r.oomScoreAdj}`);
  }

  const sec = spec.security;
  if (sec.privileged) {
    args.push("--seccomp=mode=retain,@appc.io/all", `--caps-retain=${ALL_CAPS.join(",")}`);
  } else {
    if (sec.seccomp.type === "Unconfined") args.push("--seccomp=mode=retain,@appc.io/all");
    else if (sec.seccomp.type === "Localhost") {
      throw invalidArgument("config.linux.security_context.seccomp", "localhost seccomp profiles are not supported by rkt");
    }
    if (sec.addCapabilities.length > 0 || sec.dropCapabilities.length > 0) {
      args.push(`--caps-retain=${capabilities(sec.addCapabilities, sec.dropCapabilities).join(",")}`);
    }
  }
  if (sec.runAsUser !== undefined && sec.runAsUsername) {
    throw invalidArgument("config.linux.security_context.run_as_username", "cannot be set together with run_as_user");
  }
  if (sec.runAsUser !== undefined) args.push(`--user=${sec.runAsUser}`);
  else if (sec.runAsUsername) args.push(`--user=${sec.runAsUsername}`);
  if (sec.runAsGroup !== undefined) args.push(`--group=${sec.runAsGroup}`);
  if (sec.supplementalGroups.length > 0) args.push(`--supplementary-gids=${sec.supplementalGroups.join(",")}`);
  if (sec.readonlyRootfs) args.push("--readonly-rootfs=true");
  if (spec.workingDir) args.push(`--working-dir=${spec.workingDir}`);

  spec.mounts.forEach((m, i) => {
    for (const [field, path] of [
      ["host_path", m.hostPath],
      ["container_path", m.containerPath],
    ] as const) {
      if (/[,=]/.test(path)) throw invalidArgument(`config.mounts[${i}].${field}`, "must not contain ',' or '=' (rkt's volume syntax)");
    }
    args.push(`--mnt-volume=name=vol-${i},kind=host,source=${m.hostPath},target=${m.containerPath},readOnly=${m.readonly}`);
  });

  // rkt ends an app's arguments at a literal `---`; one inside them would cut the command short.
  for (const [field, list] of [
    ["config.command", spec.command],
    ["config.args", spec.args],
  ] as const) {
    const i = list.indexOf("---");
    if (i !== -1) throw invalidArgument(`${field}[${i}]`, "rkt cannot pass a literal `---` argument");
  }
  const [exec, ...rest] = spec.command;
  if (exec !== undefined) args.push(`--exec=${exec}`, "--", ...rest, ...spec.args, "---");
  else if (spec.args.length > 0) args.push("--", ...spec.args, "---");
  return args;
}
