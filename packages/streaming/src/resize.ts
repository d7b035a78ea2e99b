import { StringDecoder } from "node:string_decoder";
import type { TerminalSize } from "./session";

/** A resize channel that piles up this much text without completing an object is not a resize stream. */
const MAX_PENDING = 4096;
const UINT16_MAX = 0xffff;

/**
 * Splits the resize channel into TerminalSize values. Like Go's json.Decoder it needs no framing between
 * objects (newlines, spaces, nothing) and matches the `Width`/`Height` keys without regard to case.
 * After the first malformed value it gives up for good, as the kubelet's resize loop does.
 */
export class ResizeDecoder {
  private text = "";
  private readonly utf8 = new StringDecoder("utf8");
  private broken = false;

  get failed(): boolean {
    return this.broken;
  }

  push(chunk: Buffer): TerminalSize[] {
    if (this.broken) return [];
    this.text += this.utf8.write(chunk);
    const sizes: TerminalSize[] = [];
    for (;;) {
      this.text = this.text.trimStart();
      if (this.text === "") break;
      const end = objectEnd(this.text);
      if (end === "invalid") return this.fail(sizes);
      if (end === undefined) {
        if (this.text.length > MAX_PENDING) return this.fail(sizes);
        break;
      }
      const size = toTerminalSize(this.text.slice(0, end));
      if (size === undefined) return this.fail(sizes);
      sizes.push(size);
      this.text = this.text.slice(end);
    }
    return sizes;
  }

  private fail(sizes: TerminalSize[]): TerminalSize[] {
    this.broken = true;
    this.text = "";
    return sizes;
  }
}

/** Index just past the top-level object at the start of `text`, undefined if it is incomplete. */
function objectEnd(text: string): number | "invalid" | undefined {
  if (text[0] !== "{") return "invalid";
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === "{" || c === "[") {
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

function toTerminalSize(json: string): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  let width = 0;
  let height = 0;
  for (const [key, v] of Object.entries(value)) {
    const name = key.toLowerCase();
    if (name !== "width" && name !== "height") continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > UINT16_MAX) return undefined;
    if (name === "width") width = v;
    else height = v;
  }
  return { width, height };
}

/** Only the latest sizes matter to a terminal: a client spamming resizes before anyone listens cannot grow this. */
const MAX_PENDING_SIZES = 16;

/**
 * A session's terminal sizes, in order, to every listener; sizes that arrive before the first listener
 * (the client sends one right after its streams exist) are kept for it.
 */
export class ResizeEvents {
  private readonly listeners: Array<(size: TerminalSize) => void> = [];
  private pending: TerminalSize[] = [];

  listen(listener: (size: TerminalSize) => void): void {
    this.listeners.push(listener);
    const pending = this.pending;
    this.pending = [];
    for (const size of pending) listener(size);
  }

  emit(size: TerminalSize): void {
    if (this.listeners.length === 0) {
      if (this.pending.push(size) > MAX_PENDING_SIZES) this.pending.shift();
      return;
    }
    for (const listener of this.listeners) listener(size);
  }
}
