// Regenerates the TypeScript for proto/runtime/v1/api.proto with buf and ts-proto (both from npm;
// options pinned in proto/buf.gen.yaml), then formats nothing: generated code is committed as emitted.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const proto = join(root, "proto");
rmSync(join(proto, "src", "gen"), { recursive: true, force: true });
execFileSync(join(root, "node_modules", ".bin", "buf"), ["generate", "--template", "buf.gen.yaml"], { cwd: proto, stdio: "inherit" });
console.log("generated proto/src/gen");
