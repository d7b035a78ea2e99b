/** appc ImageManifests in the shapes rkt shows: docker2aci conversions, stage1 images, plain appc images. */
import type { JsonObject } from "../util/json";
import { type DockerRef, sha256Of } from "./names";
import { DEFAULT_PATH, type RemoteImage } from "./registry";

const AC_VERSION = "0.8.11";
const DEFAULT_CREATED = "2024-01-01T00:00:00Z";

const label = (name: string, value: string): JsonObject => ({ name, value });

function appSection(img: RemoteImage, exec: readonly string[]): JsonObject {
  const env = Object.entries(img.env ?? { PATH: DEFAULT_PATH }).map(([name, value]) => ({ name, value }));
  // Field order follows appc's types.App.
  return {
    exec: exec.length > 0 ? [...exec] : undefined,
    user: img.user ?? "0",
    group: img.group ?? "0",
    workingDirectory: img.workingDir || undefined,
    environment: env.length > 0 ? env : undefined,
    ports: img.ports?.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, count: 1, socketActivated: false })),
  };
}

/** What docker2aci produces (annotation order as observed; no appc.io/docker/tag annotation). */
export function dockerManifest(ref: DockerRef, img: RemoteImage): JsonObject {
  const entrypoint = img.entrypoint ?? [];
  const cmd = img.exec ?? [];
  const annotations: JsonObject[] = [
    label("created", img.created ?? DEFAULT_CREATED),
    label("appc.io/docker/originalname", ref.original),
    label("appc.io/docker/registryurl", ref.registry),
    label("appc.io/docker/repository", ref.repository),
    label("appc.io/docker/imageid", layerDigest(ref)),
    label("appc.io/docker/manifesthash", img.digest ?? sha256Of("manifest", ref.key)),
  ];
  if (entrypoint.length > 0) annotations.push(label("appc.io/docker/entrypoint", JSON.stringify(entrypoint)));
  if (cmd.length > 0) annotations.push(label("appc.io/docker/cmd", JSON.stringify(cmd)));
  return {
    acKind: "ImageManifest",
    acVersion: AC_VERSION,
    name: ref.appcName,
    labels: [label("arch", "amd64"), label("os", "linux"), label("version", ref.tag ?? ref.digest ?? "latest")],
    app: appSection(img, [...entrypoint, ...cmd]),
    annotations,
  };
}

export function layerDigest(ref: DockerRef): string {
  return sha256Of("layer", ref.key);
}

const STAGE1_ENTRYPOINTS: [string, string][] = [
  ["run", "/init"],
  ["enter", "/enter"],
  ["gc", "/gc"],
  ["stop", "/stop"],
  ["app/add", "/app_add"],
  ["app/rm", "/app_rm"],
  ["app/start", "/app_start"],
  ["app/stop", "/app_stop"],
  ["attach", "/attach"],
];

export function stage1Manifest(name: string, version: string | undefined): JsonObject {
  const labels = [label("arch", "amd64"), label("os", "linux")];
  if (version) labels.unshift(label("version", version));
  return {
    acKind: "ImageManifest",
    acVersion: AC_VERSION,
    name,
    labels,
    annotations: [
      ...STAGE1_ENTRYPOINTS.map(([k, v]) => label(`coreos.com/rkt/stage1/${k}`, v)),
      label("coreos.com/rkt/stage1/interface-version", "6"),
    ],
  };
}

export function appcManifest(name: string, version: string | undefined, img: RemoteImage): JsonObject {
  const labels = [label("arch", "amd64"), label("os", "linux")];
  if (version) labels.unshift(label("version", version));
  return { acKind: "ImageManifest", acVersion: AC_VERSION, name, labels, app: appSection(img, img.exec ?? []) };
}

/** The app defaults an image gives (exec, user, group, env, working dir). */
export interface ImageApp {
  exec: string[];
  user: string;
  group: string;
  env: [string, string][];
  workingDir: string;
}

export function imageApp(m: JsonObject): ImageApp {
  const app = (m.app ?? {}) as JsonObject;
  const exec = Array.isArray(app.exec) ? (app.exec as string[]) : [];
  const env = Array.isArray(app.environment)
    ? (app.environment as JsonObject[]).map((e) => [String(e.name), String(e.value)] as [string, string])
    : [];
  return {
    exec: [...exec],
    user: typeof app.user === "string" ? app.user : "0",
    group: typeof app.group === "string" ? app.group : "0",
    env,
    workingDir: typeof app.workingDirectory === "string" ? app.workingDirectory : "",
  };
}
