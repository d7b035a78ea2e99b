import { invalidArgument, type PodSandboxSpec } from "@rktlet/core";
import { Reserved } from "./names";

/** Pod annotation rktlet honours to pick another stage1 for one pod (as the original did). */
export const STAGE1_OVERRIDE_ANNOTATION = "rkt.alpha.kubernetes.io/stage1-name-override";

export interface SandboxContext {
  readonly uuidFile: string;
  /** Where rkt (iottymux) writes this pod's raw logs; rktlet converts them into kubelet's files. */
  readonly rawLogDir: string;
  readonly stage1Name: string;
  /** Stage1 names the override annotation may pick (a pod must not choose what runs as root on the node). */
  readonly stage1Allowed: readonly string[];
  readonly net: string;
  /** The node's hostname, for host-network pods. */
  readonly nodeHostname: string;
  readonly unitName: string;
  readonly createdAtNs: bigint;
}

const hostNetwork = (spec: PodSandboxSpec) => spec.namespaceOptions.network === "NODE";

/** `network=…,pid=…,ipc=…`: how the pod shares namespaces, kept on the pod for PodSandboxStatus. */
export function encodeNamespaceOptions(spec: PodSandboxSpec): string {
  const n = spec.namespaceOptions;
  return `network=${n.network},pid=${n.pid},ipc=${n.ipc}`;
}

/**
 * The arguments after `rkt app <global flags> sandbox`, in the order of the CLI contract (§1.4). The
 * original's `--debug` before `sandbox` is not repeated: it made every pod's journal verbose.
 */
export function sandboxArgs(spec: PodSandboxSpec, ctx: SandboxContext): string[] {
  const args = [
    `--uuid-file-save=${ctx.uuidFile}`,
    "--annotation=coreos.com/rkt/experiment/logmode=k8s-plain",
    `--annotation=coreos.com/rkt/experiment/kubernetes-log-dir=${ctx.rawLogDir}`,
  ];
  const override = spec.annotations[STAGE1_OVERRIDE_ANNOTATION];
  if (override && !ctx.stage1Allowed.includes(override)) {
    throw invalidArgument(
      `config.annotations["${STAGE1_OVERRIDE_ANNOTATION}"]`,
      `stage1 "${override}" is not allowed on this node (see --rkt-stage1-allowed)`,
    );
  }
  const stage1 = override || ctx.stage1Name;
  if (stage1) args.push(`--stage1-name=${stage1}`);
  if (spec.hostname && !hostNetwork(spec)) args.push(`--hostname=${spec.hostname}`);
  if (spec.dns) {
    for (const s of spec.dns.servers) args.push(`--dns=${s}`);
    for (const s of spec.dns.searches) args.push(`--dns-search=${s}`);
    for (const o of spec.dns.options) args.push(`--dns-opt=${o}`);
  }
  if (spec.privileged) args.push("--insecure-options=all-run");
  if (hostNetwork(spec)) {
    args.push("--net=host", "--hosts-entry=host", `--hostname=${ctx.nodeHostname}`);
  } else {
    for (const [i, p] of spec.portMappings.entries()) {
      if (p.hostPort === 0 || p.containerPort === 0) continue;
      // rkt's --port separates fields with ':', so an IPv6 host address cannot be expressed
      if (p.hostIp.includes(":"))
        throw invalidArgument(`config.port_mappings[${i}].host_ip`, "rkt supports only IPv4 host addresses for ports");
      const proto = p.protocol.toLowerCase();
      args.push(`--port=${proto}-${p.containerPort}-${p.hostPort}:${proto}:${p.containerPort}:${p.hostIp || "0.0.0.0"}:${p.hostPort}`);
    }
    if (ctx.net) args.push(`--net=${ctx.net}`);
  }
  for (const [k, v] of Object.entries(spec.annotations)) args.push(`--user-annotation=${k}=${v}`);
  const m = spec.metadata;
  const reserved: [string, string][] = [
    [Reserved.PodUid, m.uid],
    [Reserved.PodName, m.name],
    [Reserved.PodNamespace, m.namespace],
    [Reserved.PodAttempt, String(m.attempt)],
    [Reserved.PodCreatedAt, String(ctx.createdAtNs)],
    [Reserved.UnitName, ctx.unitName],
    [Reserved.LogDirectory, spec.logDirectory],
    [Reserved.NamespaceOptions, encodeNamespaceOptions(spec)],
    [Reserved.RuntimeHandler, spec.runtimeHandler],
    [Reserved.Privileged, String(spec.privileged)],
  ];
  for (const [k, v] of reserved) if (v !== "") args.push(`--user-annotation=${k}=${v}`);
  for (const [k, v] of Object.entries(spec.labels)) args.push(`--user-label=${k}=${v}`);
  return args;
}
