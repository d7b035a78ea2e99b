/**
 * Kills the pod's apps if the sandbox dies without stopping them (e.g. SIGKILL), as the kernel does to an
 * nspawn container. A tiny /bin/sh process reads "add <pgid>" / "del <pgid>" lines from a pipe only the
 * sandbox holds; at EOF (the sandbox is gone, however it ended) it SIGKILLs the groups still listed.
 */
import { type ChildProcess, spawn } from "node:child_process";

const SCRIPT = `trap '' INT TERM HUP
pids=""
while read -r op pg; do
  case "$op" in
    add) pids="$pids $pg" ;;
    del) keep=""; for p in $pids; do [ "$p" = "$pg" ] || keep="$keep $p"; done; pids="$keep" ;;
  esac
done
for p in $pids; do kill -9 -$p 2>/dev/null; done
`;

export class Watchdog {
  private readonly child: ChildProcess | undefined;

  constructor() {
    try {
      // Own session: signals aimed at the sandbox's process group do not reach it.
      this.child = spawn("/bin/sh", ["-c", SCRIPT], { stdio: ["pipe", "ignore", "ignore"], detached: true });
      this.child.on("error", () => {});
      this.child.stdin?.on("error", () => {});
      this.child.unref();
    } catch {
      this.child = undefined;
    }
  }

  add(pgid: number): void {
    this.child?.stdin?.write(`add ${pgid}\n`);
  }

  del(pgid: number): void {
    this.child?.stdin?.write(`del ${pgid}\n`);
  }

  close(): void {
    this.child?.stdin?.end();
  }
}
