import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Small probes for the security tests: what rkt was given, what a process listens on, where bytes ended up. */

const FIELD = "\x1f";

/**
 * A stand-in `--rkt-path`: a shell script that records each invocation's argv in a file of its own (one
 * file per call, so concurrent calls cannot interleave) and then execs the rkt simulator. While `hold()`
 * is in force, an `image fetch` waits before running, so a test can look at a pull in progress.
 */
export function argvRecorder(dir: string, simPath: string) {
  const script = join(dir, "rkt-recorded.sh");
  const hold = join(dir, "hold");
  const held = join(dir, "held");
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      `d='${dir}'`,
      `f=$(mktemp "$d/argv.XXXXXXXX")`,
      `us=$(printf '\\037')`,
      "rec=''",
      'for a in "$@"; do rec="$rec$a$us"; done',
      `printf '%s' "$rec" > "$f"`,
      'case " $* " in',
      `  *" fetch "*) if [ -e '${hold}' ]; then echo $$ > '${held}'; while [ -e '${hold}' ]; do sleep 0.05; done; fi ;;`,
      "esac",
      `exec '${process.execPath}' '${simPath}' "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return {
    path: script,
    /** What has been recorded so far, to pass to `invocations` later. */
    mark(): Set<string> {
      return new Set(readdirSync(dir).filter((n) => n.startsWith("argv.")));
    },
    /** Every argv rkt was started with (without argv[0]), except those already recorded at `mark`. */
    invocations(since: ReadonlySet<string> = new Set()): string[][] {
      return readdirSync(dir)
        .filter((n) => n.startsWith("argv.") && !since.has(n))
        .map((n) => readFileSync(join(dir, n), "utf8").split(FIELD).slice(0, -1));
    },
    hold(): void {
      rmSync(held, { force: true });
      writeFileSync(hold, "");
    },
    release(): void {
      rmSync(hold, { force: true });
    },
    /** The pid of the rkt process waiting under `hold()`, once there is one. */
    async heldPid(ms = 10_000): Promise<number> {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const pid = existsSync(held) ? Number(readFileSync(held, "utf8").trim()) : 0;
        if (pid > 0) return pid;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error("no rkt fetch reached the hold");
    },
  };
}

export interface Listener {
  readonly proto: "tcp" | "tcp6" | "udp" | "udp6";
  readonly address: string;
  readonly port: number;
}

/** /proc/net/tcp's little-endian hex address as text (IPv4 dotted, IPv6 as eight hex groups). */
function procAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}

/** The socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) out.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/**
 * Every TCP socket in LISTEN state and every bound UDP socket that `pid` holds, found by matching the
 * inodes of its descriptors against its network namespace's /proc/net tables.
 */
export function inetListeners(pid: number): Listener[] {
  const mine = socketInodes(pid);
  const out: Listener[] = [];
  for (const proto of ["tcp", "tcp6", "udp", "udp6"] as const) {
    const lines = readFileSync(`/proc/${pid}/net/${proto}`, "utf8").trim().split("\n").slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const [local, state, inode] = [f[1] ?? "", f[3] ?? "", f[9] ?? ""];
      if (!mine.has(inode)) continue;
      // TCP: only listeners (0A); UDP has no listen state, any bound socket receives (07 = unconnected)
      if (proto.startsWith("tcp") && state !== "0A") continue;
      const [addr, port] = local.split(":");
      out.push({ proto, address: procAddress(addr ?? ""), port: Number.parseInt(port ?? "0", 16) });
    }
  }
  return out;
}

/** The paths of the listening unix sockets `pid` holds. */
export function unixListeners(pid: number): string[] {
  const mine = socketInodes(pid);
  const lines = readFileSync(`/proc/${pid}/net/unix`, "utf8").trim().split("\n").slice(1);
  const out: string[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    // Flags 00010000 is __SO_ACCEPTCON: a listening socket
    if (mine.has(f[6] ?? "") && f[3] === "00010000" && f[7]) out.push(f[7]);
  }
  return out;
}

export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "0:0:0:0:0:0:0:1" || /^0:0:0:0:0:ffff:7f/.test(address);
}

/** Regular files under `roots` (symlinks not followed) that contain any of `needles`, as `file: needle`. */
export function filesContaining(roots: readonly string[], needles: readonly string[]): string[] {
  const hits: string[] = [];
  const walk = (path: string): void => {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const n of readdirSync(path)) walk(join(path, n));
      return;
    }
    if (!st.isFile()) return;
    const bytes = readFileSync(path);
    for (const n of needles) if (bytes.includes(n)) hits.push(`${path}: ${n}`);
  };
  for (const r of roots) walk(r);
  return hits;
}

/** Processes whose command line or environment contains any of `needles`, as `pid cmdline|environ: needle`. */
export function processesShowing(needles: readonly string[]): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    for (const what of ["cmdline", "environ"]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(`/proc/${pid}/${what}`);
      } catch {
        continue; // gone meanwhile
      }
      for (const n of needles) if (bytes.includes(n)) hits.push(`${pid} ${what}: ${n}`);
    }
  }
  return hits;
}

/** Random text for a secret that cannot occur anywhere by chance. */
export function secret(label: string): string {
  return `${label}-${Array.from(globalThis.crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
