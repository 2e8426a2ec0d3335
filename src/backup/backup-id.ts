import { randomBytes } from "node:crypto";

/**
 * `20261204T175819123Z-3f9a` (to the millisecond): sorts by time as text,
 * unique across hosts writing one volume.
 */
export function newBackupId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:.]/g, "");
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

const ID = /^\d{8}T\d{9}Z-[0-9a-f]{4}$/;

export function isBackupId(name: string): boolean {
  return ID.test(name);
}
