import { invalidArgument } from "../errors";
import type { ContainerSpec } from "../model/container";
import type { PodSandboxSpec } from "../model/pod-sandbox";
import { checkAbsolutePath, checkImageRef, checkName, checkRelativePath, checkStringMap, checkText, ensure, limits } from "./rules";

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
    ensure(`config.port_mappings[${i}].host_ip`, p.hostIp, (v) => checkText(v, 64));
  });
  ensure("runtime_handler", spec.runtimeHandler, (v) => checkText(v, limits.nameLength));
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
}
