import { withTransaction, type Pool } from "../db/index.js";
import { OpskitError } from "../errors.js";
import { defineTask, type Task } from "../jobs/index.js";
import type { SecretBox } from "./secret-box.js";
import type { SecretColumn } from "./secret-column.js";
import { idColumnType, selectSecretsToRotate, updateRotatedSecrets } from "./sql/secret-columns.js";

/** The task name of the rotation job (one at a time: added with this dedupe key too). */
export const ROTATE_SECRETS_TASK = "opskit.secrets-rotate";

/** Where a rotation is: saved with each batch, so a killed run resumes there. */
export interface RotationCheckpoint {
  /** Index in the declared columns. */
  column: number;
  /** The last id done in that column (text), or null at its start. */
  afterId: string | null;
  rotated: number;
  /** Values that could not be decrypted (unknown key, tampered, not an envelope): left as they are. */
  failed: number;
}

export interface RotateSecretsOptions {
  pool: Pool;
  /** Read when the job runs: the service's box over its key ring. */
  box: () => SecretBox | undefined;
  columns: () => readonly SecretColumn[];
  /** Rows per transaction; default 500. */
  batchSize?: number;
}

/**
 * The rotation job: re-encrypts every registered column's values that are
 * not under the primary key, in id order, in batches of `batchSize` rows.
 * Each batch is one short transaction (with `lock_timeout` 1 s, so it never
 * waits on a row the service holds for longer: it fails and the job retries
 * from its checkpoint) that writes the new values and the checkpoint
 * together. A kill mid-batch rolls the batch back; the next run starts after
 * the last committed one. Values changed by the service meanwhile are left
 * alone (compare-and-set on the old ciphertext).
 *
 * @example
 * const task = rotateSecretsTask({ pool, box: () => box, columns: () => [{ table: "stores", column: "api_key", idColumn: "id" }] });
 * await queue.add(task, {}, { dedupeKey: ROTATE_SECRETS_TASK });
 */
export function rotateSecretsTask(options: RotateSecretsOptions): Task<Record<string, never>> {
  const batchSize = options.batchSize ?? 500;
  return defineTask<Record<string, never>>(
    ROTATE_SECRETS_TASK,
    async (_payload, ctx) => {
      const box = options.box();
      if (!box) {
        throw new OpskitError(
          "SECRETS_CONFIG_INVALID",
          "Set OPSKIT_SECRET_KEYS to rotate secrets.",
        );
      }
      const columns = options.columns();
      let at: RotationCheckpoint = (ctx.checkpointed as RotationCheckpoint | undefined) ?? {
        column: 0,
        afterId: null,
        rotated: 0,
        failed: 0,
      };
      for (let index = at.column; index < columns.length; index++) {
        const column = columns[index]!;
        const idType = await idColumnType(options.pool, column);
        let afterId = index === at.column ? at.afterId : null;
        for (;;) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          const next = await withTransaction(options.pool, async (tx) => {
            await tx.query("set local lock_timeout = '1s'");
            const rows = await selectSecretsToRotate(
              tx,
              column,
              box.primaryKeyId,
              idType,
              afterId,
              batchSize,
            );
            if (rows.length === 0) return undefined;
            const changed: { id: string; old: string; value: string }[] = [];
            let failed = 0;
            for (const row of rows) {
              const place = { table: column.table, column: column.column, id: row.id };
              try {
                changed.push({
                  id: row.id,
                  old: row.value,
                  value: box.encrypt(box.decrypt(row.value, place), place),
                });
              } catch {
                failed++;
              }
            }
            await updateRotatedSecrets(tx, column, idType, changed);
            const state: RotationCheckpoint = {
              column: index,
              afterId: rows[rows.length - 1]!.id,
              rotated: at.rotated + changed.length,
              failed: at.failed + failed,
            };
            if (!(await ctx.checkpoint(state, { tx }))) throw ctx.signal.reason;
            return state;
          });
          if (!next) break;
          at = next;
          afterId = next.afterId;
        }
      }
      ctx.log.info(
        { category: "secrets", rotated: at.rotated, failed: at.failed, key_id: box.primaryKeyId },
        at.failed
          ? "rotation done; some values could not be decrypted (see opskit secrets status)"
          : "rotation done",
      );
    },
    { maxAttempts: 25, queue: "opskit" },
  );
}
