/**
 * Requests the CLI sends to a pod's sandbox (supervisor) over pods/run/<uuid>/ctl.sock: one JSON line
 * each way per connection. Errors carry rkt's inner message ("error: nonexistent app …"); the CLI adds
 * its own prefix ("start: error starting app: …").
 */
import type { AppRecord } from "../store/pods";

export type Request =
  | { readonly op: "add"; readonly app: AppRecord }
  | { readonly op: "start"; readonly app: string }
  | { readonly op: "stop"; readonly app: string }
  | { readonly op: "rm"; readonly app: string }
  | { readonly op: "stop-pod"; readonly force: boolean };

export type Response = { readonly ok: true } | { readonly ok: false; readonly error: string };
