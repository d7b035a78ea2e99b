/**
 * Pod networks. `--net=host` (and `none`) give no networks entry; `default` is rkt's built-in ptp network
 * 172.16.28.0/24; other names get a /24 derived from the name. Addresses are unique among live pods:
 * allocation reads the other pods' records under a lock held until this pod's record is published.
 */
import { createHash } from "node:crypto";
import { listPods, type NetRecord, type PodRecord, podState } from "../store/pods";

const PLUGIN = "stage1/rootfs/usr/lib/rkt/plugins/net/ptp";

function subnetFor(name: string): string {
  if (name === "default") return "172.16.28";
  if (name === "default-restricted") return "172.17.0";
  const h = createHash("sha256").update(name).digest();
  return `10.${h[0]! % 250}.${h[1]!}`;
}

/** The network names of a --net value list; empty for host networking. */
export function parseNetFlag(values: readonly string[]): string[] | "host" {
  const nets = (values.length > 0 ? values : ["default"])
    .flatMap((v) => v.split(","))
    .map((v) => v.split(":")[0]!.trim())
    .filter((v) => v !== "");
  if (nets.includes("host")) return "host";
  return nets.filter((n) => n !== "none");
}

export function allocateNets(dir: string, self: string, names: readonly string[]): NetRecord[] {
  const used = new Set<string>();
  for (const p of listPods(dir) as PodRecord[]) {
    if (p.uuid === self || podState(p) !== "running") continue;
    for (const n of p.nets) used.add(n.ip);
  }
  return names.map((name, i) => {
    const subnet = subnetFor(name);
    for (let host = 2; host < 255; host++) {
      const ip = `${subnet}.${host}`;
      if (used.has(ip)) continue;
      used.add(ip);
      return {
        netName: name,
        netConf:
          name === "default"
            ? "net/99-default.conf"
            : name === "default-restricted"
              ? "net/99-default-restricted.conf"
              : `net/${name}.conf`,
        pluginPath: PLUGIN,
        ifName: `eth${i}`,
        ip,
        args: "",
        mask: "255.255.255.0",
      };
    }
    throw new Error(`no IP addresses available in network: ${name}`);
  });
}
