import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { freePort } from "../../test/free-port.js";
import { PGBOUNCER_MISSING, startPgbouncer } from "../../test/pgbouncer.js";
import { startEmbeddedPostgres, withTransaction } from "../db/index.js";
import { startService } from "../service/index.js";
import { waitUntil } from "../testing/index.js";
import { defineOutboxHandler } from "./define-outbox-handler.js";
import { publishEvent } from "./publish-event.js";

const SLOT = "opskit_outbox_pooled";

// The service's outbox part with the logical relay, its pool behind pgbouncer
// in transaction mode: the replication connection (which no pgbouncer
// carries) and the relay's LISTEN go to OPSKIT_DATABASE_DIRECT_URL.
test(
  "behind a transaction pooler the outbox part streams from its slot and listens on the direct URL",
  { skip: PGBOUNCER_MISSING, timeout: 300_000 },
  async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-pooled-outbox-"));
    const server = await startEmbeddedPostgres({
      dataDir: path.join(dir, "pg"),
      port: await freePort(),
      settings: { fsync: "off", wal_level: "logical" },
    });
    const bouncer = await startPgbouncer(server.url, { poolMode: "transaction", poolSize: 2 });
    const env = (role: string) => ({
      DATABASE_URL: bouncer.url,
      OPSKIT_DATABASE_DIRECT_URL: server.url,
      OPSKIT_ROLE: role,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      NODE_ENV: "test",
      OPSKIT_JOBS_POLL_INTERVAL: "100ms",
      OPSKIT_SHUTDOWN_DRAIN_DELAY: "0",
    });
    const handled: string[] = [];
    const recorder = defineOutboxHandler({
      name: "recorder",
      handle: async (event) => void handled.push(event.id),
    });
    try {
      const migrate = await startService({ name: "svc", version: "1.0.0", env: env("migrate") });
      assert.equal(await migrate.stop(), true);
      const service = await startService({
        name: "svc",
        version: "1.0.0",
        env: env("worker"),
        outbox: () => ({
          handlers: [recorder],
          // A minute between polls: an event handled sooner came through the slot.
          pollIntervalMs: 60_000,
          relay: { source: "logical", slotName: SLOT, guardIntervalMs: 100, retryMs: 500 },
        }),
      });
      try {
        const streaming = async () =>
          (
            await service.pool.query(
              `select 1 from pg_replication_slots s join pg_stat_activity a on a.pid = s.active_pid
                where s.slot_name = $1 and a.application_name = 'opskit-outbox-logical'`,
              [SLOT],
            )
          ).rowCount === 1;
        await waitUntil(streaming, "the relay streams from its slot on the direct URL");
        await waitUntil(
          async () =>
            (
              await service.pool.query(
                "select 1 from pg_stat_activity where application_name = 'opskit-outbox-listener' and query ilike 'listen%'",
              )
            ).rowCount === 1,
          "the relay listens on the direct URL",
        );
        const ids: string[] = [];
        for (let n = 0; n < 5; n++) {
          ids.push(
            await withTransaction(service.pool, (tx) =>
              publishEvent(tx, {
                aggregateType: "order",
                aggregateId: "o-1",
                type: "order.created",
                payload: { n },
              }),
            ),
          );
        }
        await waitUntil(() => handled.length === ids.length, "every event was handled");
        assert.deepEqual(handled, ids, "in commit order");
      } finally {
        assert.equal(await service.stop(), true);
      }
    } finally {
      await bouncer.stop();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
