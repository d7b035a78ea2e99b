import type { CriRuntime } from "@rktlet/core";
import type * as api from "@rktlet/cri-api";
import { inject, injectable } from "tsyringe";
import { attachRequest, execRequest, execSyncRequest, MAX_TIMEOUT_SECONDS, portForwardRequest, validate } from "../grpc/validation";
import { TOKENS } from "../tokens";

/** ExecSync runs to completion here; Exec, Attach and PortForward hand out a streaming-server URL. */
@injectable()
export class ExecHandlers {
  constructor(@inject(TOKENS.Runtime) private readonly runtime: CriRuntime) {}

  async execSync(req: api.ExecSyncRequest): Promise<api.ExecSyncResponse> {
    validate(execSyncRequest, req);
    const r = await this.runtime.containers.execSync(req.containerId, req.cmd, Math.min(Number(req.timeout), MAX_TIMEOUT_SECONDS));
    return { stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), exitCode: r.exitCode };
  }

  async exec(req: api.ExecRequest): Promise<api.ExecResponse> {
    validate(execRequest, req);
    const url = await this.runtime.streaming.exec({
      containerId: req.containerId,
      cmd: req.cmd,
      tty: req.tty,
      stdin: req.stdin,
      stdout: req.stdout,
      stderr: req.stderr,
    });
    return { url };
  }

  async attach(req: api.AttachRequest): Promise<api.AttachResponse> {
    validate(attachRequest, req);
    const url = await this.runtime.streaming.attach({
      containerId: req.containerId,
      tty: req.tty,
      stdin: req.stdin,
      stdout: req.stdout,
      stderr: req.stderr,
    });
    return { url };
  }

  async portForward(req: api.PortForwardRequest): Promise<api.PortForwardResponse> {
    validate(portForwardRequest, req);
    return { url: await this.runtime.streaming.portForward(req.podSandboxId, req.port) };
  }
}
