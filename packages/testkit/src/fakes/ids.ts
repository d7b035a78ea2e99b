import { randomBytes } from "node:crypto";

/** A 64-hex-digit id, the shape containerd and CRI-O use, so clients see realistic ids. */
export const newId = (): string => randomBytes(32).toString("hex");
