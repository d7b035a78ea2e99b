/** Choosing the app of a pod for exec/attach: --app, or the only app; several apps need --app. */
import { CliError } from "../errors";
import type { PodRecord } from "../store/pods";

export function pickApp(cmd: string, pod: PodRecord, flagValue: string): string {
  if (flagValue !== "") return flagValue;
  if (pod.apps.length === 1) return pod.apps[0]!.name;
  const lines =
    pod.apps.length === 0
      ? [`${cmd}: pod contains zero apps`]
      : [`${cmd}: pod contains multiple apps:`, ...pod.apps.map((a) => `${cmd}: \t${a.name}`)];
  lines.push(`${cmd}: unable to determine app name: specify app using "rkt enter --app= ..."`);
  throw new CliError(lines);
}
