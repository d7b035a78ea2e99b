// Fails when the committed generated code differs from what `npm run generate` produces now.
import { execFileSync } from "node:child_process";

execFileSync("npm", ["run", "--silent", "generate"], { stdio: "inherit" });
const changed = execFileSync("git", ["status", "--porcelain", "--", "proto"], { encoding: "utf8" }).trim();
if (changed) {
  console.error(`generated code is stale; run \`npm run generate\` and commit:\n${changed}`);
  process.exit(1);
}
console.log("generated code is up to date");
