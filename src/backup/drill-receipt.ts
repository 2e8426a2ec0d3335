import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CheckResult } from "./check-result.js";

/**
 * What a drill proved, written next to the backup it drilled
 * (`<backup>/drills/<id>.json` and `.md`) and recorded by the admin handle.
 *
 * - `rto_ms`: from the drill's start (before the scratch server is created)
 *   to the moment the restored database answered queries and every check
 *   had passed; null when a check failed (the restore never reached a usable
 *   state). For a provider's restore: from `restoreStartedAt` when given.
 * - `rpo_ms`: the age of the newest data restored, at drill time: the
 *   drill's start minus the backup's snapshot time (`restoredTo` for a
 *   provider's restore; null when unknown).
 */
export interface DrillReceipt {
  id: string;
  /** `backup`: a backup restored into a scratch server; `restored`: a restore someone else made; `pitr`: a pgBackRest point-in-time restore into a scratch server. */
  kind: "backup" | "restored" | "pitr";
  ok: boolean;
  rto_ms: number | null;
  rpo_ms: number | null;
  checks: CheckResult[];
  backupId: string | null;
  startedAt: string;
  finishedAt: string;
  /** Where the restore was checked (host:port/database; never a password). */
  restored: string;
  /** Phase durations: scratch server start, restore, checks. */
  phases: Record<string, number>;
}

/** Writes `<dir>/<id>.json` and `<dir>/<id>.md`; returns the JSON file's path. */
export async function writeReceipt(dir: string, receipt: DrillReceipt): Promise<string> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, `${receipt.id}.json`);
  await writeFile(json, JSON.stringify(receipt, null, 2) + "\n");
  await writeFile(path.join(dir, `${receipt.id}.md`), receiptMarkdown(receipt));
  return json;
}

const seconds = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);

export function receiptMarkdown(r: DrillReceipt): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    `# Restore drill ${r.id}: ${r.ok ? "PASSED" : "FAILED"}`,
    "",
    `- kind: ${r.kind}${r.backupId ? ` (backup ${r.backupId})` : ""}`,
    `- restored into: ${r.restored}`,
    `- started ${r.startedAt}, finished ${r.finishedAt}`,
    `- RTO: ${seconds(r.rto_ms)} (drill start → restored database queryable with every check passed)`,
    `- RPO: ${seconds(r.rpo_ms)} (age of the newest restored data at drill time)`,
    `- phases: ${
      Object.entries(r.phases)
        .map(([k, v]) => `${k} ${seconds(v)}`)
        .join(", ") || "—"
    }`,
    "",
    "| check | result | detail |",
    "| --- | --- | --- |",
    ...r.checks.map(
      (c) =>
        `| ${cell(c.name)} | ${c.skipped ? "skipped" : c.ok ? "ok" : "**FAILED**"} | ${cell(c.detail)} |`,
    ),
    "",
  ].join("\n");
}
