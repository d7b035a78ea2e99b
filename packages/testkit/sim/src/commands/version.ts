/** `rkt version`: the banner of the rkt build the fixtures were captured from. */
import { stdout } from "../util/out";

const BANNER = [
  "rkt Version: 1.30.0+git-dirty",
  "appc Version: 0.8.11",
  "Go Version: go1.19.8",
  "Go OS/Arch: linux/amd64",
  "Features: -TPM -SDJOURNAL",
];

export function runVersion(): number {
  stdout.write(`${BANNER.join("\n")}\n`);
  return 0;
}
