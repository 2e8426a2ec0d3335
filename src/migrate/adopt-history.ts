import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { Queryable } from "../db/index.js";
import { recordAudit } from "../audit/index.js";
import { qualified } from "./history.js";
import type { MigrationSource, MigrationStatus } from "./migration-plan.js";
import { detectHistoryKind } from "./native-history.js";
import { ensurePrismaTable, insertPrismaApplied } from "./prisma-history.js";
import { createSupabaseMigrationsSql, insertSupabaseRow } from "./supabase-history.js";
import { parseMigration } from "./parse-migration.js";

/**
 * Creates the other tool's history table where a directory has that tool's
 * layout and the table does not exist yet (a fresh database), exactly as
 * that tool would, so that it keeps agreeing with opskit from the first run.
 */
export async function ensureNativeTables(
  client: Queryable,
  sources: MigrationSource[],
): Promise<void> {
  for (const s of sources) {
    if (s.source === "opskit") continue;
    const kind = await detectHistoryKind(client, s.dir, s.history ?? "auto");
    if (kind === "prisma") await ensurePrismaTable(client);
    if (kind === "supabase") await client.query(createSupabaseMigrationsSql());
  }
}

export interface Adopted {
  /** Applied per the other tool's table; now in opskit's history too. */
  mirrored: string[];
  /** Applied per opskit's history; now in the other tool's table too. */
  backfilled: string[];
}

/**
 * Brings the two histories together, in one transaction, audited
 * (`migrate.adopt_history`): every migration the other tool's table records
 * as applied gets its row in `opskit.schema_migrations` (applied_by
 * `prisma`/`supabase`), and every migration opskit's history has that the
 * other table lacks gets its row there. Changed, failed and rolled-back
 * files are left alone (they are reported, not adopted). No manual step:
 * `migrate up` runs this before applying anything.
 */
export async function adoptNativeHistory(
  client: pg.Client,
  status: MigrationStatus,
  actor: string,
): Promise<Adopted> {
  const adopted: Adopted = { mirrored: [], backfilled: [] };
  const todo = status.files.filter(
    (f) =>
      f.native &&
      f.state === "applied" &&
      (!f.mirrored || f.nativeRecord === undefined || f.nativeRecord.state !== "applied"),
  );
  if (todo.length === 0) return adopted;
  await client.query("begin");
  try {
    const runId = randomUUID();
    for (const file of todo) {
      const native = file.native!;
      if (!file.mirrored) {
        const record = file.nativeRecord;
        const duration =
          record?.finishedAt && record.startedAt
            ? Math.max(0, record.finishedAt.getTime() - record.startedAt.getTime())
            : 0;
        await client.query(
          `insert into ${qualified("schema_migrations")}
             (source, name, checksum, applied_at, duration_ms, run_id, applied_by)
           values ($1, $2, $3, coalesce($4, now()), $5, $6, $7)
           on conflict (source, name) do nothing`,
          [
            file.source,
            file.name,
            file.checksum,
            record?.finishedAt ?? null,
            duration,
            runId,
            native.kind,
          ],
        );
        adopted.mirrored.push(`${file.source}/${file.name}`);
      } else {
        if (native.kind === "prisma")
          await insertPrismaApplied(client, native.table, {
            name: file.name,
            checksum: native.checksum,
          });
        else {
          const parsed = await parseMigration(file.sql);
          await insertSupabaseRow(
            client,
            file.name,
            parsed.statements.map((s) => s.sql),
          );
        }
        adopted.backfilled.push(`${file.source}/${file.name}`);
      }
    }
    await recordAudit(client, {
      actor,
      action: "migrate.adopt_history",
      target: status.sources
        .filter((s) => s.table)
        .map((s) => `${s.source}: ${s.table}`)
        .join(", "),
      params: { ...adopted },
      result: "adopted",
    });
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
  return adopted;
}
