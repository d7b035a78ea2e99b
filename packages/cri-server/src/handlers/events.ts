import type { ServerWritableStream } from "@grpc/grpc-js";
import type { ContainerEvent, CriRuntime } from "@rktlet/core";
import type * as api from "@rktlet/cri-api";
import { inject, injectable } from "tsyringe";
import { containerEvent } from "../convert/to-proto";
import { TOKENS } from "../tokens";

/** Events queued for one slow subscriber before it is cut off (it can reconnect and relist). */
export const MAX_QUEUED_EVENTS = 10_000;

type EventCall = ServerWritableStream<api.GetEventsRequest, api.ContainerEventResponse>;

/** GetContainerEvents: every subscriber gets every lifecycle event from the moment it subscribes. */
@injectable()
export class EventHandlers {
  private readonly open = new Set<EventCall>();

  constructor(@inject(TOKENS.Runtime) private readonly runtime: CriRuntime) {}

  getContainerEvents(call: EventCall): Promise<void> {
    return new Promise<void>((resolve) => {
      const queue: ContainerEvent[] = [];
      let writable = true;
      const flush = () => {
        while (writable && queue.length > 0) writable = call.write(containerEvent(queue.shift() as ContainerEvent));
      };
      const unsubscribe = this.runtime.events.subscribe((event) => {
        if (queue.length >= MAX_QUEUED_EVENTS) {
          finish();
          return;
        }
        queue.push(event);
        flush();
      });
      const onDrain = () => {
        writable = true;
        flush();
      };
      const finish = () => {
        unsubscribe();
        call.off("drain", onDrain);
        this.open.delete(call);
        if (!call.cancelled && !call.writableEnded) call.end();
        resolve();
      };
      call.on("drain", onDrain);
      call.on("cancelled", finish);
      call.on("close", finish);
      call.on("error", finish);
      this.open.add(call);
    });
  }

  /** Ends every open event stream, so a graceful shutdown is not held up by subscribers. */
  closeAll(): void {
    for (const call of [...this.open]) call.end();
  }
}
