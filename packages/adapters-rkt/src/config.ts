/** Settings of the rkt backend, as the daemon's flags give them. */
export interface RktConfig {
  /** The rkt binary (or the simulator). */
  readonly rktPath: string;
  /** rkt's --dir. */
  readonly dataDir: string;
  /** rktlet's own state: container records, log offsets, uuid files, raw logs. */
  readonly stateDir: string;
  /** --insecure-options for every rkt call; `image,ondisk` by default. */
  readonly insecureOptions: readonly string[];
  /** Stage1 image for pods (`--stage1-name`), empty for rkt's built-in default. */
  readonly stage1Name: string;
  /** rkt network for pods (`--net`), empty for rkt's default network. */
  readonly net: string;
  /** Where rkt looks for network configurations (`<local-config>/net.d`). */
  readonly localConfigDir: string;
  /** How stale the `rkt list` snapshot behind List and Status calls may be. */
  readonly snapshotMaxAgeMs: number;
  /** Upper bound for ordinary rkt commands. */
  readonly commandTimeoutMs: number;
  /** How long RunPodSandbox waits for the pod to become ready. */
  readonly readyTimeoutMs: number;
  /** How often container logs are converted to the CRI format. */
  readonly logPollMs: number;
  /** Make the data directory a shared mount at start-up (rkt needs mount propagation from it). */
  readonly sharedMount: boolean;
  /** How often rkt's state is re-read to notice containers that exit by themselves. */
  readonly watchMs: number;
  /** Pod log directories must lie under this directory (kubelet's pod logs root). */
  readonly podLogRoot: string;
  /** Stage1 images a pod may ask for with the override annotation; empty: the annotation is refused. */
  readonly stage1Allowed: readonly string[];
}

export const DEFAULT_RKT_CONFIG: Omit<RktConfig, "rktPath" | "dataDir" | "stateDir"> = {
  insecureOptions: ["image", "ondisk"],
  stage1Name: "",
  net: "",
  localConfigDir: "/etc/rkt",
  snapshotMaxAgeMs: 1000,
  commandTimeoutMs: 120_000,
  readyTimeoutMs: 60_000,
  logPollMs: 200,
  sharedMount: true,
  watchMs: 1000,
  podLogRoot: "/var/log/pods",
  stage1Allowed: [],
};
