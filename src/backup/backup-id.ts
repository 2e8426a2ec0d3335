import { randomBytes } from "node:crypto";

/** `20261204T175819Z-3f9a`: sorts by time as text, unique across hosts writing one volume. */
export function newBackupId(at: Date = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

const ID = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

export function isBackupId(name: string): boolean {
  return ID.test(name);
}
