/**
 * The "remote" side of image fetches. When RKT_SIM_REGISTRY names a JSON file, only the images it lists
 * exist remotely; without it every docker:// reference and every appc name exists, with a busybox-like
 * (docker) or stage1 (appc) manifest. File format (all fields optional):
 *
 *   {
 *     "images": {
 *       "docker.io/library/busybox:latest": {        // normalized docker reference, or "<appc name>:<version>"
 *         "exec": ["sh"],                             // docker CMD
 *         "entrypoint": ["/pause"],                   // docker ENTRYPOINT
 *         "user": "0", "group": "0",
 *         "env": { "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
 *         "workingDir": "/",
 *         "ports": [{ "name": "80-tcp", "protocol": "tcp", "port": 80 }],
 *         "size": 3203584,                            // `image list` size (bytes)
 *         "layerSize": 1580000,                       // the "Downloading …" figure
 *         "created": "2024-01-01T00:00:00Z",
 *         "http": true,                               // served over plain http only
 *         "auth": { "user": "u", "password": "p" },   // needs a matching docker credential
 *         "stage1": true                              // appc names: build a stage1 manifest (default when the name contains "stage1")
 *       }
 *     },
 *     "registries": { "127.0.0.1:5000": { "http": true, "auth": { "user": "u", "password": "p" } } }
 *   }
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CliError } from "../errors";
import { type DockerRef, isHubRegistry } from "./names";

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface RemoteImage {
  readonly exec?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly user?: string;
  readonly group?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  readonly ports?: readonly { name: string; protocol: string; port: number }[];
  readonly size?: number;
  readonly layerSize?: number;
  readonly created?: string;
  readonly http?: boolean;
  readonly auth?: Credentials;
  readonly stage1?: boolean;
  /** The registry's manifest digest; tags that share one name the same docker image (default: one per tag). */
  readonly digest?: string;
}

interface RegistryHost {
  readonly http?: boolean;
  readonly auth?: Credentials;
}

interface RegistryFile {
  readonly images?: Readonly<Record<string, RemoteImage>>;
  readonly registries?: Readonly<Record<string, RegistryHost>>;
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const BUSYBOX_LIKE: RemoteImage = { exec: ["sh"], user: "0", group: "0", env: { PATH: DEFAULT_PATH }, size: 3203584, layerSize: 1580000 };

export class Registry {
  private constructor(private readonly file: RegistryFile | undefined) {}

  static fromEnv(env: NodeJS.ProcessEnv): Registry {
    const p = env.RKT_SIM_REGISTRY;
    if (!p) return new Registry(undefined);
    let parsed: RegistryFile;
    try {
      parsed = JSON.parse(fs.readFileSync(p, "utf8")) as RegistryFile;
    } catch (e) {
      throw new CliError([`rkt-sim: cannot read RKT_SIM_REGISTRY file ${p}: ${(e as Error).message}`]);
    }
    return new Registry(parsed);
  }

  /** The remote docker image, or undefined when the registry does not have it. */
  docker(ref: DockerRef): RemoteImage | undefined {
    if (!this.file) return BUSYBOX_LIKE;
    const img = this.file.images?.[ref.key] ?? this.file.images?.[`docker://${ref.key}`];
    if (!img) return undefined;
    const host = this.host(ref.registry);
    const auth = img.auth ?? host?.auth;
    const out: RemoteImage = { ...img, http: img.http ?? host?.http ?? false };
    return auth ? { ...out, auth } : out;
  }

  /** appc names are "discovered": present when listed, or always without a registry file. */
  appc(name: string, version: string | undefined): RemoteImage | undefined {
    const key = version ? `${name}:${version}` : name;
    if (!this.file) return {};
    return this.file.images?.[key];
  }

  private host(registry: string): RegistryHost | undefined {
    const hosts = this.file?.registries;
    if (!hosts) return undefined;
    if (isHubRegistry(registry)) return hosts["docker.io"] ?? hosts["index.docker.io"] ?? hosts["registry-1.docker.io"];
    return hosts[registry];
  }
}

/**
 * Docker credentials from `auth.d/*.json` in the system, local and user config directories (later ones
 * win), in rkt's format: {"rktKind":"dockerAuth","rktVersion":"v1","registries":[…],"credentials":{…}}.
 */
export function dockerCredentials(configDirs: readonly string[], registry: string): Credentials | undefined {
  let found: Credentials | undefined;
  for (const dir of configDirs) {
    if (!dir) continue;
    const authDir = path.join(dir, "auth.d");
    let names: string[];
    try {
      names = fs
        .readdirSync(authDir)
        .filter((n) => n.endsWith(".json"))
        .sort();
    } catch {
      continue;
    }
    for (const n of names) {
      try {
        const cfg = JSON.parse(fs.readFileSync(path.join(authDir, n), "utf8")) as {
          rktKind?: string;
          registries?: string[];
          credentials?: Credentials;
        };
        if (cfg.rktKind !== "dockerAuth" || !cfg.credentials || !Array.isArray(cfg.registries)) continue;
        const matches = cfg.registries.some((r) => r === registry || (isHubRegistry(r) && isHubRegistry(registry)));
        if (matches) found = cfg.credentials;
      } catch {
        // rkt rejects bad config files loudly; the simulator just ignores them
      }
    }
  }
  return found;
}
