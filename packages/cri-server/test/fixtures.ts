/** Request builders with every field set, as a kubelet would send them. */
export { criContainerConfig as containerConfig, criPodConfig as podConfig } from "@rktlet/testkit";
