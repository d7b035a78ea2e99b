/**
 * Cobra-like dispatch: the command path is found from the first non-flag word at each level (flags may
 * sit anywhere, as persistent flags do), then the remaining tokens are parsed with the command's flags
 * plus rkt's global ones.
 */
import { CliError, EXIT_FAIL, FlagError } from "../errors";
import { stderr, stdout } from "../util/out";
import { type CommandSpec, GLOBAL_FLAGS, globalsFrom, renderUsage } from "./command";
import { type FlagDef, parseFlags } from "./flags";
import { commandTree } from "./tree";

function allFlagDefs(spec: CommandSpec, into = new Map<string, FlagDef>()): Map<string, FlagDef> {
  for (const f of spec.flags ?? []) into.set(f.name, f);
  for (const c of spec.children ?? []) allFlagDefs(c, into);
  return into;
}

/** Index of the first word that is not a flag or a flag's separate value (cobra's stripFlags). */
function firstWordIndex(tokens: readonly string[], defs: ReadonlyMap<string, FlagDef>): number {
  for (let i = 0; i < tokens.length; i++) {
    const s = tokens[i]!;
    if (s === "--") return -1;
    if (s.startsWith("--") && !s.includes("=")) {
      if (defs.get(s.slice(2))?.noOptDefVal === undefined) i++;
      continue;
    }
    if (s.startsWith("-") && s.length > 1) continue;
    return i;
  }
  return -1;
}

export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const root = commandTree(env);
  const defs = allFlagDefs(root);
  for (const g of GLOBAL_FLAGS) defs.set(g.name, g);

  const tokens = [...argv];
  let spec = root;
  const commandPath = ["rkt"];
  for (;;) {
    if (!spec.children || spec.children.length === 0) break;
    const idx = firstWordIndex(tokens, defs);
    if (idx < 0) break;
    const word = tokens[idx]!;
    const child = spec.children.find((c) => c.name === word);
    if (!child) {
      if (spec === root) {
        const lines = [`Error: unknown command ${JSON.stringify(word)} for "rkt"`, "Run 'rkt --help' for usage."];
        if (word === "app" || word === "attach") {
          const v = word === "app" ? "RKT_EXPERIMENT_APP" : "RKT_EXPERIMENT_ATTACH";
          lines.push(`(rkt-sim: "${word}" is an experimental rkt command and needs ${v}=true in the environment)`);
        }
        stderr.write(`${lines.join("\n")}\n`);
        return EXIT_FAIL;
      }
      break;
    }
    tokens.splice(idx, 1);
    spec = child;
    commandPath.push(word);
  }

  const usage = (): string => renderUsage(spec, commandPath.join(" "));
  const flagFailure = (message: string): number => {
    if (message === "help requested") {
      stdout.write(usage());
      return 0;
    }
    stderr.write(`Error: ${message}\n\n`);
    stdout.write(usage());
    return EXIT_FAIL;
  };

  const cmdDefs = new Map<string, FlagDef>();
  for (const g of GLOBAL_FLAGS) cmdDefs.set(g.name, g);
  for (const f of spec.flags ?? []) cmdDefs.set(f.name, f);
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(tokens, cmdDefs, spec.interspersed ?? true);
  } catch (e) {
    if (e instanceof FlagError) return flagFailure(e.message);
    throw e;
  }
  const globals = globalsFrom(parsed.flags, cwd);
  if (typeof globals === "string") return flagFailure(globals);
  if (!spec.run) {
    stdout.write(usage());
    return 0;
  }
  try {
    return await spec.run({ name: spec.name, flags: parsed.flags, args: parsed.args, globals, env, usage });
  } catch (e) {
    if (e instanceof CliError) {
      if (e.lines.length > 0) stderr.write(`${e.lines.join("\n")}\n`);
      return e.exitCode;
    }
    if (e instanceof FlagError) return flagFailure(e.message);
    stderr.write(`${spec.name}: ${(e as Error).message}\n`);
    return EXIT_FAIL;
  }
}
