import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The guides in docs/ stay true to the repository: the example is the tested file, and links resolve. */
const ROOT = join(__dirname, "..");
const GUIDES = ["architecture.md", "operations.md", "features.md", "library.md"];
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

test("docs/library.md shows packages/testkit/test/library-example.test.ts exactly as it is", () => {
  const page = read("docs/library.md");
  const shown = /<!-- library-example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- library-example:end -->/.exec(page)?.[1];
  expect(shown).toBe(read("packages/testkit/test/library-example.test.ts"));
});

test("the README links every guide", () => {
  const readme = read("README.md");
  for (const guide of GUIDES) expect({ guide, linked: readme.includes(`(docs/${guide})`) }).toEqual({ guide, linked: true });
});

test("relative links in the guides point at files that exist", () => {
  for (const guide of GUIDES) {
    const page = read(`docs/${guide}`);
    for (const [, target] of page.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      const path = join(ROOT, "docs", target);
      expect({ guide, target, exists: existsSync(path) }).toEqual({ guide, target, exists: true });
    }
  }
});
