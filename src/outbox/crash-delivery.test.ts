/**
 * Nothing committed is lost and order holds through crashes: a service
 * process publishing, relaying and delivering to a real local endpoint is
 * SIGKILLed and restarted again and again (OUTBOX_CRASH_KILLS, default 10).
 * Afterwards every committed event has reached the endpoint, each
 * aggregate's events first arrived in their order, and duplicates (same
 * webhook-id) are no more than the acknowledgements a kill can lose.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { after, test } from "node:test";
import { createOutboxAdmin } from "./outbox-admin.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { startReceiver } from "../../test/receivers.js";

// 20 kills take about 70 s on a loaded 2-core machine (process start-up dominates): the
// default run kills 10 times, `OUTBOX_CRASH_KILLS=20` (or more) runs the full count.
const KILLS = Number(process.env.OUTBOX_CRASH_KILLS ?? 10);
const CONCURRENCY = 4;
const root = path.resolve(import.meta.dirname, "../..");

async function startService(url: string, run: string, writers = 8): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "test/fixtures/outbox-service.ts")],
    {
      env: { PATH: process.env.PATH, DATABASE_URL: url, RUN: run, WRITERS: String(writers) },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  await waitUntil(() => out.includes("ready") || child.exitCode !== null, "service ready");
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

test(`the service SIGKILLed ${KILLS} times: every committed event delivered, in order per aggregate`, async () => {
  const receiver = await startReceiver(200);
  after(() => receiver.close());
  await withPool(async (pool, db) => {
    await createOutboxAdmin(pool).upsertEndpoint({
      name: "sink",
      url: receiver.url,
      secret: `whsec_${randomBytes(32).toString("base64")}`,
      maxFailures: 1_000_000,
    });
    for (let k = 0; k < KILLS; k++) {
      const child = await startService(db.url, `r${k}`);
      try {
        // Let it publish and deliver a little, then kill it mid-flight.
        const before = receiver.requests.length;
        await waitUntil(() => receiver.requests.length > before + 3, "some deliveries");
        await new Promise((r) => setTimeout(r, Math.random() * 250));
      } finally {
        await kill(child);
      }
    }
    // A last process, not writing, finishes delivery.
    const last = await startService(db.url, "last", 0);
    try {
      await waitUntil(
        async () =>
          (await count(
            pool,
            `select 1 from opskit.outbox o where not exists (
               select 1 from opskit.outbox_deliveries d where d.event_id = o.id and d.state = 'delivered')`,
          )) === 0,
        "every committed event delivered",
        180_000,
      );
    } finally {
      await kill(last);
    }

    const { rows: committed } = await pool.query<{ id: string; agg: string; seq: number }>(
      `select id::text as id, aggregateid as agg, (payload->>'seq')::int as seq
         from opskit.outbox order by position`,
    );
    assert.ok(committed.length > KILLS * 10, `a real load: ${committed.length} events`);
    const received = new Map<string, number>();
    const firstOrder = new Map<string, number[]>();
    for (const r of receiver.requests) {
      const body = r.json as { id: string; aggregate_id: string; data: { seq: number } };
      assert.equal(r.headers["webhook-id"], body.id);
      const seen = received.get(body.id) ?? 0;
      received.set(body.id, seen + 1);
      if (seen === 0) {
        firstOrder.set(body.aggregate_id, [
          ...(firstOrder.get(body.aggregate_id) ?? []),
          body.data.seq,
        ]);
      }
    }
    const byAgg = new Map<string, number[]>();
    for (const c of committed) {
      assert.ok(received.has(c.id), `event ${c.id} (${c.agg} #${c.seq}) was delivered`);
      byAgg.set(c.agg, [...(byAgg.get(c.agg) ?? []), c.seq]);
    }
    for (const [agg, seqs] of byAgg) {
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        `${agg} committed in order`,
      );
      assert.deepEqual(firstOrder.get(agg), seqs, `${agg} first arrived in order`);
    }
    const duplicates = [...received.values()].reduce((n, v) => n + v - 1, 0);
    // A kill can lose the acknowledgement of each delivery in flight (one per
    // worker slot), and only then is an event sent twice.
    assert.ok(
      duplicates <= (KILLS + 1) * CONCURRENCY,
      `${duplicates} duplicates for ${KILLS} kills`,
    );
  });
});
