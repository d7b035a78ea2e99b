import { invalidArgument } from "../errors";
import type { ContainerSpec, LinuxResources } from "../model/container";
import type { PodSandboxSpec } from "../model/pod-sandbox";
import {
  checkAbsolutePath,
  checkImageRef,
  checkName,
  checkRelativePath,
  checkStringMap,
  checkText,
  ensure,
  limits,
  utf8Length,
} from "./rules";

function optionalAbsolute(field: string, value: string): void {
  if (value !== "") ensure(field, value, checkAbsolutePath);
}

function texts(field: string, values: readonly string[]): void {
  if (values.length > limits.argvEntries) throw invalidArgument(field, `must have at most ${limits.argvEntries} entries`);
  for (const [i, v] of values.entries()) ensure(`${field}[${i}]`, v, checkText);
}

function port(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw invalidArgument(field, "must be a port number from 0 to 65535");
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Empty, or an IPv4 or IPv6 address (backends decide which they support). */
function hostIp(field: string, value: string): void {
  if (value === "" || IPV4.test(value) || (value.includes(":") && IPV6.test(value) && value.length <= 45)) return;
  throw invalidArgument(field, "must be an IP address");
}

/** uids and gids are unsigned 32-bit, and (uint32)-1 means "no id" to the kernel. */
function posixId(field: string, value: bigint | undefined): void {
  if (value !== undefined && (value < 0n || value > 4_294_967_294n)) throw invalidArgument(field, "must be from 0 to 4294967294");
}

const CPUSET = /^[0-9,-]*$/;
/** cgroup v2 interface files a caller may set through `unified`: controller-prefixed names only. */
const UNIFIED_KEY = /^(cpu|cpuset|memory|pids|io|hugetlb)\.[A-Za-z0-9_.]+$/; // hugetlb.2MB.max: sizes are in capitals

/**
 * Linux resources as a container or a pod asks for them; `field` is where they are in the request
 * (`linux`, `resources`, `config.linux.resources`), so every backend refuses them naming the right field.
 */
export function validateLinuxResources(field: string, r: LinuxResources): void {
  const nonNegative: [string, bigint, bigint][] = [
    ["cpu_period", r.cpuPeriod, 0n],
    ["cpu_quota", r.cpuQuota, -1n], // -1: no limit
    ["cpu_shares", r.cpuShares, 0n],
    ["memory_limit_in_bytes", r.memoryLimitInBytes, 0n],
    ["memory_swap_limit_in_bytes", r.memorySwapLimitInBytes, -1n], // -1: unlimited swap
  ];
  for (const [name, value, min] of nonNegative) {
    if (value < min) throw invalidArgument(`${field}.${name}`, min === 0n ? "must not be negative" : `must be at least ${min}`);
  }
  if (r.oomScoreAdj < -1000n || r.oomScoreAdj > 1000n) throw invalidArgument(`${field}.oom_score_adj`, "must be from -1000 to 1000");
  if (!CPUSET.test(r.cpusetCpus)) throw invalidArgument(`${field}.cpuset_cpus`, "must be a CPU list such as 0-2,4");
  if (!CPUSET.test(r.cpusetMems)) throw invalidArgument(`${field}.cpuset_mems`, "must be a memory node list such as 0-1");
  for (const [key, value] of Object.entries(r.unified)) {
    const where = `${field}.unified[${JSON.stringify(key.slice(0, 64))}]`;
    if (!UNIFIED_KEY.test(key)) throw invalidArgument(where, "is not a cgroup v2 interface file that may be set");
    if (/[\n\0]/.test(value) || value.length > 4096) throw invalidArgument(where, "must be one line of at most 4096 characters");
  }
}

const mapBytes = (m: Readonly<Record<string, string>>) =>
  Object.entries(m).reduce((n, [k, v]) => n + utf8Length(k) + utf8Length(v) + 32, 0);
const listBytes = (l: readonly string[]) => l.reduce((n, v) => n + utf8Length(v) + 32, 0);

/**
 * A request becomes one rkt command line, which Linux limits in all (E2BIG). Refuses one that would not fit,
 * naming its largest part. Each part is counted with room for the flag name that carries it.
 */
function fitsCommandLine(parts: readonly (readonly [string, number])[]): void {
  const total = parts.reduce((n, [, bytes]) => n + bytes, 0);
  if (total <= limits.commandLineBytes) return;
  const [largest] = [...parts].sort((a, b) => b[1] - a[1])[0] as readonly [string, number];
  throw invalidArgument(
    largest,
    `makes the request too large for a command line (${total} bytes in all, at most ${limits.commandLineBytes})`,
  );
}

/** Everything a pod sandbox request must satisfy before a backend sees it. Field names are the CRI's. */
export function validatePodSandboxSpec(spec: PodSandboxSpec): void {
  const m = spec.metadata;
  ensure("config.metadata.name", m.name, checkName);
  ensure("config.metadata.namespace", m.namespace, checkName);
  ensure("config.metadata.uid", m.uid, checkName);
  if (!Number.isInteger(m.attempt) || m.attempt < 0) throw invalidArgument("config.metadata.attempt", "must be a non-negative integer");
  ensure("config.hostname", spec.hostname, (v) => checkText(v, limits.nameLength));
  optionalAbsolute("config.log_directory", spec.logDirectory);
  ensure("config.labels", "", () => checkStringMap(spec.labels));
  ensure("config.annotations", "", () => checkStringMap(spec.annotations));
  ensure("config.linux.sysctls", "", () => checkStringMap(spec.sysctls));
  ensure("config.linux.cgroup_parent", spec.cgroupParent, (v) => checkText(v, limits.pathLength));
  if (spec.dns) {
    texts("config.dns_config.servers", spec.dns.servers);
    texts("config.dns_config.searches", spec.dns.searches);
    texts("config.dns_config.options", spec.dns.options);
  }
  spec.portMappings.forEach((p, i) => {
    port(`config.port_mappings[${i}].container_port`, p.containerPort);
    port(`config.port_mappings[${i}].host_port`, p.hostPort);
    hostIp(`config.port_mappings[${i}].host_ip`, p.hostIp);
  });
  ensure("runtime_handler", spec.runtimeHandler, (v) => checkText(v, limits.nameLength));
  fitsCommandLine([
    ["config.labels", mapBytes(spec.labels)],
    ["config.annotations", mapBytes(spec.annotations)],
    ["config.dns_config", spec.dns ? listBytes([...spec.dns.servers, ...spec.dns.searches, ...spec.dns.options]) : 0],
    ["config.port_mappings", spec.portMappings.length * 128],
  ]);
}

/** Everything a container request must satisfy before a backend sees it. */
export function validateContainerSpec(spec: ContainerSpec): void {
  ensure("config.metadata.name", spec.metadata.name, checkName);
  if (!Number.isInteger(spec.metadata.attempt) || spec.metadata.attempt < 0)
    throw invalidArgument("config.metadata.attempt", "must be a non-negative integer");
  ensure("config.image.image", spec.image.image, checkImageRef);
  texts("config.command", spec.command);
  texts("config.args", spec.args);
  optionalAbsolute("config.working_dir", spec.workingDir);
  spec.envs.forEach((e, i) => {
    if (e.key === "" || e.key.includes("=")) throw invalidArgument(`config.envs[${i}].key`, "must be non-empty and contain no '='");
    ensure(`config.envs[${i}].key`, e.key, checkText);
    ensure(`config.envs[${i}].value`, e.value, checkText);
    // they travel as one `KEY=value` argument
    if (utf8Length(e.key) + utf8Length(e.value) + 1 > limits.argLength)
      throw invalidArgument(`config.envs[${i}].value`, `must be at most ${limits.argLength} bytes in UTF-8 together with its key`);
  });
  spec.mounts.forEach((mt, i) => {
    ensure(`config.mounts[${i}].container_path`, mt.containerPath, checkAbsolutePath);
    ensure(`config.mounts[${i}].host_path`, mt.hostPath, checkAbsolutePath);
  });
  spec.devices.forEach((d, i) => {
    ensure(`config.devices[${i}].container_path`, d.containerPath, checkAbsolutePath);
    ensure(`config.devices[${i}].host_path`, d.hostPath, checkAbsolutePath);
    if (!/^[rwm]*$/.test(d.permissions)) throw invalidArgument(`config.devices[${i}].permissions`, "must be a combination of r, w and m");
  });
  ensure("config.labels", "", () => checkStringMap(spec.labels));
  ensure("config.annotations", "", () => checkStringMap(spec.annotations));
  ensure("config.image.annotations", "", () => checkStringMap(spec.image.annotations));
  if (spec.logPath !== "") ensure("config.log_path", spec.logPath, checkRelativePath);
  if (spec.resources) validateLinuxResources("config.linux.resources", spec.resources);
  const sc = "config.linux.security_context";
  posixId(`${sc}.run_as_user`, spec.security.runAsUser);
  posixId(`${sc}.run_as_group`, spec.security.runAsGroup);
  for (const [i, g] of spec.security.supplementalGroups.entries()) posixId(`${sc}.supplemental_groups[${i}]`, g);
  fitsCommandLine([
    ["config.labels", mapBytes(spec.labels)],
    ["config.annotations", mapBytes(spec.annotations)],
    ["config.envs", spec.envs.reduce((n, e) => n + utf8Length(e.key) + utf8Length(e.value) + 32, 0)],
    ["config.command", listBytes(spec.command)],
    ["config.args", listBytes(spec.args)],
    ["config.mounts", spec.mounts.reduce((n, mt) => n + utf8Length(mt.hostPath) + utf8Length(mt.containerPath) + 64, 0)],
  ]);
}
