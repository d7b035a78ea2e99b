import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Our proto must be wire-identical to the CRI v1 reference (cri-api v0.36.3). */
const ROOT = join(__dirname, "..");
const REFERENCE = process.env.CRI_REFERENCE_PROTO ?? join(ROOT, "..", "shared", "reference", "cri-api-v1.proto");
const OURS = join(ROOT, "proto", "runtime", "v1", "api.proto");

type WireModule = {
  describeProto(file: string): unknown;
  wireDiff(a: unknown, b: unknown): string[];
  descriptorCounts(fd: unknown): Record<string, number>;
};

let wire: WireModule;
beforeAll(() => {
  wire = require(join(ROOT, "scripts", "proto-wire-diff.cjs")) as WireModule;
});

function mutated(edit: (text: string) => string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "wire-"));
  try {
    const file = join(dir, "api.proto");
    writeFileSync(file, edit(readFileSync(OURS, "utf8")));
    return wire.wireDiff(wire.describeProto(REFERENCE), wire.describeProto(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("proto/runtime/v1/api.proto", () => {
  test("is wire-identical to the reference: every message, field, enum value and rpc", () => {
    const ref = wire.describeProto(REFERENCE);
    expect(wire.wireDiff(ref, wire.describeProto(OURS))).toEqual([]);
    expect(wire.descriptorCounts(ref)).toEqual({ messages: 198, fields: 519, enums: 11, enumValues: 95, rpcs: 41 });
  });

  test("the check notices a changed field number, type, name, enum value and streaming flag", () => {
    expect(mutated((t) => t.replace("string pod_sandbox_id = 1;", "string pod_sandbox_id = 9;"))).not.toEqual([]);
    expect(mutated((t) => t.replace(/int64 created_at = (\d+);/, "uint64 created_at = $1;"))).toEqual(
      expect.arrayContaining([expect.stringMatching(/created_at: type/)]),
    );
    expect(mutated((t) => t.replace("string runtime_handler", "string runtimehandler"))).not.toEqual([]);
    expect(mutated((t) => t.replace("SANDBOX_NOTREADY = 1;", "SANDBOX_NOTREADY = 2;"))).toEqual(
      expect.arrayContaining([expect.stringMatching(/SANDBOX_NOTREADY: number/)]),
    );
    expect(mutated((t) => t.replace("returns (stream ContainerEventResponse)", "returns (ContainerEventResponse)"))).toEqual(
      expect.arrayContaining([expect.stringMatching(/GetContainerEvents: serverStreaming/)]),
    );
    expect(mutated((t) => t.replace(" [debug_redact = true]", ""))).not.toEqual([]);
  });
});
