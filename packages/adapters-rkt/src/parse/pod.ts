import { int64, isObject, type Json, num, parseJsonExact, str, stringMap } from "./json";

/** A network of a pod, as `rkt list`/`rkt status` print it. */
export interface RktNetwork {
  readonly netName: string;
  readonly ifName: string;
  readonly ip: string;
}

/** An app as rkt prints it (in a pod's `apps`, or from `rkt app status`). Times in nanoseconds. */
export interface RktApp {
  readonly name: string;
  readonly state: "unknown" | "created" | "running" | "exited";
  readonly createdAt: bigint | undefined;
  readonly startedAt: bigint | undefined;
  readonly finishedAt: bigint | undefined;
  readonly exitCode: number | undefined;
  readonly imageId: string;
  readonly mounts: readonly {
    readonly name: string;
    readonly containerPath: string;
    readonly hostPath: string;
    readonly readOnly: boolean;
  }[];
  readonly userAnnotations: Record<string, string>;
  readonly userLabels: Record<string, string>;
}

/** A pod as `rkt list --format=json` and `rkt status --format=json` print it. Times in SECONDS. */
export interface RktPod {
  readonly uuid: string;
  readonly state: string;
  readonly networks: readonly RktNetwork[];
  readonly apps: readonly RktApp[];
  readonly createdAt: number | undefined;
  readonly startedAt: number | undefined;
  readonly userAnnotations: Record<string, string>;
  readonly userLabels: Record<string, string>;
}

const APP_STATES = new Set(["unknown", "created", "running", "exited"]);

export function toApp(o: Json, ints?: ReadonlyMap<string, bigint>): RktApp {
  const state = str(o, "state");
  const mounts = Array.isArray(o.mounts) ? o.mounts.filter(isObject) : [];
  return {
    name: str(o, "name"),
    state: (APP_STATES.has(state) ? state : "unknown") as RktApp["state"],
    createdAt: int64(o, "created_at", ints),
    startedAt: int64(o, "started_at", ints),
    finishedAt: int64(o, "finished_at", ints),
    exitCode: num(o, "exit_code"),
    imageId: str(o, "image_id"),
    mounts: mounts.map((m) => ({
      name: str(m, "name"),
      containerPath: str(m, "container_path"),
      hostPath: str(m, "host_path"),
      readOnly: m.read_only === true,
    })),
    userAnnotations: stringMap(o, "user_annotations"),
    userLabels: stringMap(o, "user_labels"),
  };
}

function toPod(o: Json, ints: ReadonlyMap<string, bigint>): RktPod {
  const networks = Array.isArray(o.networks) ? o.networks.filter(isObject) : [];
  const apps = Array.isArray(o.apps) ? o.apps.filter(isObject) : [];
  return {
    uuid: str(o, "name"),
    state: str(o, "state"),
    networks: networks.map((n) => ({ netName: str(n, "netName"), ifName: str(n, "ifName"), ip: str(n, "ip") })),
    apps: apps.map((a) => toApp(a, ints)),
    createdAt: num(o, "created_at"),
    startedAt: num(o, "started_at"),
    userAnnotations: stringMap(o, "user_annotations"),
    userLabels: stringMap(o, "user_labels"),
  };
}

/** `rkt list --format=json`: an array, or `null` when there are no pods. */
export function parsePodList(stdout: string): RktPod[] {
  const text = stdout.trim();
  if (text === "" || text === "null") return [];
  const { value, ints } = parseJsonExact(text);
  if (!Array.isArray(value)) throw new Error("rkt list: expected a JSON array");
  return value.filter(isObject).map((o) => toPod(o, ints));
}

/** `rkt status <uuid> --format=json`: one object. */
export function parsePodStatus(stdout: string): RktPod {
  const { value, ints } = parseJsonExact(stdout.trim());
  if (!isObject(value)) throw new Error("rkt status: expected a JSON object");
  return toPod(value, ints);
}

/** `rkt app status --format=json`: one object. */
export function parseAppStatus(stdout: string): RktApp {
  const { value, ints } = parseJsonExact(stdout.trim());
  if (!isObject(value)) throw new Error("rkt app status: expected a JSON object");
  return toApp(value, ints);
}

/** The pod's address: the network rktlet names, else rkt's default network, else the first. */
export function podIp(pod: RktPod): string {
  const pick =
    pod.networks.find((n) => n.netName === "rkt.kubernetes.io") ?? pod.networks.find((n) => n.netName === "default") ?? pod.networks[0];
  return pick?.ip ?? "";
}
