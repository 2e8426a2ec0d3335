import { randomUUID } from "node:crypto";
import { OpskitError } from "../errors.js";
import { recordAudit } from "../audit/index.js";
import { createHistorySql, qualified } from "./history.js";
import { planMigrations, type MigrationSource } from "./migration-plan.js";
import { withMigrationLockSession } from "./runner-session.js";
import { lockKeyOf, runnerIdentity } from "./runner.js";

export interface AcceptChecksumOptions {
  connectionString: string;
  sources: MigrationSource[];
  /** The changed file's name (`0003_x.sql`, or a Prisma folder name). */
  name: string;
  /** Why the edit is harmless; required, kept in the audit log. */
  reason: string;
  /** Who accepts; default user@host. */
  actor?: string;
  lockName?: string;
}

export interface AcceptedChecksum {
  source: string;
  name: string;
  previous: string;
  accepted: string;
}

/**
 * Accepts the current content of an applied file that was edited since (a
 * comment, whitespace): its history row takes the new checksum, and the audit
 * log records who, why, and both checksums. Nothing is executed. Under the
 * migration lock, so it cannot interleave with a run.
 *
 * @example
 * await acceptChecksum({ connectionString, sources, name: "0003_orders.sql", reason: "comment typo" });
 */
export async function acceptChecksum(options: AcceptChecksumOptions): Promise<AcceptedChecksum> {
  if (!options.reason.trim()) {
    throw new OpskitError(
      "BAD_REQUEST",
      "Give the reason the edit is harmless; it is kept in the audit log.",
    );
  }
  const key = lockKeyOf(options);
  return withMigrationLockSession(options.connectionString, key, async (client) => {
    try {
      await client.query(createHistorySql());
      const status = await planMigrations(client, options.sources);
      const file = status.files.find((f) => f.name === options.name);
      if (!file) throw new OpskitError("NOT_FOUND", `No migration file named ${options.name}.`);
      if (file.state !== "changed") {
        throw new OpskitError(
          "CONFLICT",
          `${file.source}/${file.name} is ${file.state}, not changed: there is nothing to accept.`,
        );
      }
      await client.query("begin");
      const { rows } = await client.query<{ previous: string }>(
        `update ${qualified("schema_migrations")} h set checksum = $3
           from (select checksum as previous from ${qualified("schema_migrations")}
                  where source = $1 and name = $2 for update) old
          where h.source = $1 and h.name = $2
        returning old.previous`,
        [file.source, file.name, file.checksum],
      );
      let previous = rows[0]?.previous ?? file.nativeRecord?.checksum ?? "";
      if (!file.mirrored) {
        await client.query(
          `insert into ${qualified("schema_migrations")}
             (source, name, checksum, duration_ms, run_id, applied_by) values ($1, $2, $3, 0, $4, $5)`,
          [file.source, file.name, file.checksum, randomUUID(), file.appliedBy ?? "adopted"],
        );
      }
      if (file.native?.kind === "prisma") {
        // Prisma's row takes Prisma's checksum of the new content, so `prisma migrate status` agrees.
        previous = file.nativeRecord?.checksum ?? previous;
        await client.query(
          `update ${file.native.table} set checksum = $2
            where migration_name = $1 and finished_at is not null and rolled_back_at is null`,
          [file.name, file.native.checksum],
        );
      }
      await recordAudit(client, {
        actor: options.actor ?? runnerIdentity(),
        action: "migrate.accept_checksum",
        target: `${file.source}/${file.name}`,
        params: { reason: options.reason, previous, accepted: file.checksum },
        result: "accepted",
      });
      await client.query("commit");
      return { source: file.source, name: file.name, previous, accepted: file.checksum };
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      throw error;
    }
  });
}
