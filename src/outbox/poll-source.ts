import { withTransaction, type Pool } from "../db/index.js";
import { EVENT_COLUMNS, type OutboxEvent } from "./outbox-event.js";
import type { OutboxSink, OutboxSource } from "./outbox-source.js";

/** The advisory lock of the relay: one round at a time across every process. */
export const OUTBOX_RELAY_LOCK_KEY = 7_256_831_904_118n;

export interface PollSourceOptions {
  pool: Pool;
  /** Rows per transaction; default 500. */
  batchSize?: number;
}

// The rows of transactions that finished between the last finished round's
// snapshot (done) and this round's (round), in position order, after the
// position this round has reached. `txid >= xmin(done)` narrows the index
// range: every transaction below it was finished, so already relayed.
const READ_SQL = `select ${EVENT_COLUMNS}
  from opskit.outbox o
 where o.txid >= coalesce(pg_snapshot_xmin($1::pg_snapshot), '1'::xid8)
   and o.txid < pg_snapshot_xmax($2::pg_snapshot)
   and pg_visible_in_snapshot(o.txid, $2::pg_snapshot)
   and ($1::pg_snapshot is null or not pg_visible_in_snapshot(o.txid, $1::pg_snapshot))
   and o.position > $3::bigint
 order by o.position
 limit $4`;

/**
 * The default source: polls `opskit.outbox` with a commit-safe watermark,
 * after PgQ's ticks. A round takes a snapshot S (`pg_current_snapshot()`)
 * and relays exactly the rows whose transaction is finished in S and was
 * not in the previous round's snapshot P — committed between P and S. A
 * transaction still in flight at S is in S's in-progress list, so its rows
 * are not relayed now; it is also not finished in S, so the next round
 * (P = S) picks it up whenever it commits, however late. Ordering by `id` or
 * `position` alone would skip it: its position is lower than those of
 * transactions that committed before it. Rounds follow each other in commit
 * order (by snapshot), and within one round rows go in position order.
 *
 * A round's rows are read in pages of `batchSize` within the same snapshot;
 * each page commits with its deliveries and the cursor in one transaction,
 * under a transaction-level advisory lock, so any number of processes may
 * poll: one relays, the others skip.
 */
export function createPollSource(options: PollSourceOptions): OutboxSource {
  const pool = options.pool;
  const limit = options.batchSize ?? 500;
  return {
    name: "poll",
    round(sink: OutboxSink) {
      return withTransaction(pool, async (tx) => {
        const { rows: lock } = await tx.query<{ ok: boolean }>(
          "select pg_try_advisory_xact_lock($1::bigint) as ok",
          [OUTBOX_RELAY_LOCK_KEY.toString()],
        );
        if (!lock[0]?.ok) return { rows: 0, leader: false, more: false };
        // The snapshot is taken before this transaction writes anything (the
        // advisory lock assigns no transaction id), so it holds no xid of ours.
        const { rows: cursor } = await tx.query<{
          done: string | null;
          round: string;
          after: string;
        }>(
          `select done_snapshot::text as done,
                  coalesce(round_snapshot, pg_current_snapshot())::text as round,
                  after_position::text as after
             from opskit.outbox_relay where id`,
        );
        const c = cursor[0];
        if (!c) throw new Error("opskit.outbox_relay has no row: run the toolkit's migrations");
        const { rows } = await tx.query<OutboxEvent>(READ_SQL, [c.done, c.round, c.after, limit]);
        if (rows.length > 0) await sink.accept(tx, rows);
        const more = rows.length === limit;
        if (more) {
          await tx.query(
            `update opskit.outbox_relay set round_snapshot = $1::pg_snapshot, after_position = $2,
                    relayed_total = relayed_total + $3, last_round_at = now(), updated_at = now()
              where id`,
            [c.round, rows[rows.length - 1]!.position, rows.length],
          );
        } else {
          await tx.query(
            `update opskit.outbox_relay set done_snapshot = $1::pg_snapshot, round_snapshot = null,
                    after_position = 0, relayed_total = relayed_total + $2, last_round_at = now(),
                    updated_at = now()
              where id`,
            [c.round, rows.length],
          );
        }
        return { rows: rows.length, leader: true, more };
      });
    },
  };
}
