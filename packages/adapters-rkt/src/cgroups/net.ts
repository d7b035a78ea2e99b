import { readFile } from "node:fs/promises";
import { join } from "node:path";

export interface InterfaceCounters {
  readonly name: string;
  readonly rxBytes: bigint;
  readonly rxErrors: bigint;
  readonly txBytes: bigint;
  readonly txErrors: bigint;
}

/**
 * A network namespace's interface counters from /proc/<pid>/net/dev (any process of the pod shows the pod's
 * namespace). Loopback is left out, as cAdvisor does. Undefined when the file cannot be read.
 */
export async function readNetDev(pid: number, root = "/"): Promise<InterfaceCounters[] | undefined> {
  const text = await readFile(join(root, "proc", String(pid), "net", "dev"), "utf8").catch(() => undefined);
  return text === undefined ? undefined : parseNetDev(text);
}

export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs …
    if (name === "" || name === "lo" || f.length < 16 || !f.every((x) => /^\d+$/.test(x))) continue;
    out.push({ name, rxBytes: BigInt(f[0]!), rxErrors: BigInt(f[2]!), txBytes: BigInt(f[8]!), txErrors: BigInt(f[10]!) });
  }
  return out;
}

/** The pod's default interface: eth0 (what CNI names the pod's interface) if present, else the first one. */
export function defaultInterface(interfaces: readonly InterfaceCounters[]): InterfaceCounters | undefined {
  return interfaces.find((i) => i.name === "eth0") ?? interfaces[0];
}
