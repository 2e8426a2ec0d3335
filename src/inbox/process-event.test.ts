/* eslint-disable @typescript-eslint/no-unsafe-member-access -- rows are read loosely in assertions */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { waitUntil } from "../../test/jobs.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { isOpskitError } from "../errors.js";
import { createQueue, type Queue, type Worker } from "../jobs/index.js";
import {
  createInbox,
  findInboxEvent,
  hmacVerifier,
  pauseInboxSource,
  pruneInboxPayloads,
  replayInboxEvent,
  replayInboxEvents,
  resumeInboxSource,
  type Inbox,
  type InboxEvent,
} from "./index.js";

const SECRET = "process-secret";
let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;
let queue: Queue;
let worker: Worker;
const failUntil = new Map<string, number>();
const seen: { source: string; key: string | null; n: number; started: number; ended: number }[] =
  [];
let clock = 0;
const running = new Map<string, number>();

function verifier() {
  return hmacVerifier({
    secrets: [SECRET],
    header: "x-sig",
    dedupeKey: { json: "id" },
    topic: { json: "type" },
  });
}

async function handler(event: InboxEvent, ctx: { tx: { query: Pool["query"] } }) {
  const body = event.json as { id: string; n: number; key?: string };
  const key = event.orderingKey;
  if (key !== null) {
    const k = `${event.source}:${key}`;
    running.set(k, (running.get(k) ?? 0) + 1);
    assert.equal(running.get(k), 1, `two events of key ${k} ran at once`);
  }
  const started = ++clock;
  await new Promise((resolve) => setImmediate(resolve));
  try {
    const left = failUntil.get(body.id) ?? 0;
    if (left > 0) {
      failUntil.set(body.id, left - 1);
      throw new Error(`boom ${body.id}`);
    }
    await ctx.tx.query("insert into effects (event_id) values ($1)", [event.id]);
    seen.push({ source: event.source, key, n: body.n, started, ended: ++clock });
  } finally {
    if (key !== null)
      running.set(`${event.source}:${key}`, running.get(`${event.source}:${key}`)! - 1);
  }
}

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 20 });
  await pool.query("create table effects (id serial primary key, event_id bigint not null)");
  const common = { verifier: verifier(), handler, backoff: { type: "fixed", delayMs: 1 } as const };
  inbox = createInbox({
    pool,
    sources: [
      { name: "orders", ...common, orderingKey: { json: "key" }, maxAttempts: 3, retentionDays: 7 },
      { name: "other", ...common },
    ],
  });
  await inbox.register();
  queue = createQueue({ pool, tasks: [...inbox.tasks] });
  worker = queue.work({ concurrency: 8, pollIntervalMs: 20 });
});
after(async () => {
  await worker.stop();
  await inbox.close();
  await pool.end();
  await db.drop();
});

let nextId = 0;
async function send(source: string, fields: { key?: string; type?: string; id?: string } = {}) {
  const id = fields.id ?? `e${++nextId}`;
  const body = JSON.stringify({ id, n: nextId, type: fields.type ?? "order.created", ...fields });
  const res = await inbox.receive({
    source,
    headers: [["x-sig", createHmac("sha256", SECRET).update(body).digest("hex")]],
    body: Buffer.from(body),
    requestId: "t",
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { id: res.body.id as string, n: nextId, dedupeKey: id };
}

async function status(id: string) {
  return (await findInboxEvent(pool, id))!;
}

async function effects(id: string): Promise<number> {
  const { rows } = await pool.query("select count(*)::int as n from effects where event_id = $1", [
    id,
  ]);
  return rows[0].n as number;
}

test("an event is processed once, its effects committed with its status", async () => {
  const { id } = await send("other");
  await waitUntil(async () => (await status(id)).status === "processed", "processed");
  const event = await status(id);
  assert.equal(event.attempts, 1);
  assert.equal(event.last_error, null);
  assert.equal(await effects(id), 1);
});

test("failed attempts are retried with backoff, shown on the event, and dead after maxAttempts; a dead event can be replayed", async () => {
  const retried = await send("orders", { key: "r1" });
  failUntil.set(retried.dedupeKey, 1);
  const dead = await send("orders", { key: "d1" });
  failUntil.set(dead.dedupeKey, 99);
  // Set after the send, but the first attempt may already have run: either way it ends processed.
  await waitUntil(async () => (await status(retried.id)).status === "processed", "retried");
  await waitUntil(async () => (await status(dead.id)).status === "dead", "dead");
  const row = await status(dead.id);
  assert.equal(row.attempts, 3);
  assert.match(row.last_error!, /boom/);
  assert.equal(await effects(dead.id), 0);

  failUntil.delete(dead.dedupeKey);
  const result = await replayInboxEvent(pool, dead.id, { by: "ada", reason: "fixed the bug" });
  assert.equal(result.count, 1);
  await waitUntil(async () => (await status(dead.id)).status === "processed", "replayed");
  const replayed = await status(dead.id);
  assert.equal(replayed.replays, 1);
  assert.equal(replayed.last_replay?.requested_by, "ada");
  assert.equal(replayed.last_replay?.reason, "fixed the bug");
  assert.equal(await effects(dead.id), 1);
  await assert.rejects(replayInboxEvent(pool, "999999", { by: "ada", reason: "x" }), (e: unknown) =>
    isOpskitError(e, "NOT_FOUND"),
  );
});

test("events sharing an ordering key are processed one at a time in arrival order, under 8 workers", async () => {
  const sent: { key: string; n: number; id: string }[] = [];
  for (let i = 0; i < 40; i++) {
    const key = `k${i % 3}`;
    sent.push({ key, ...(await send("orders", { key })) });
  }
  await waitUntil(async () => {
    const { rows } = await pool.query(
      "select count(*)::int as n from opskit.inbox_events where id = any($1::bigint[]) and status = 'processed'",
      [sent.map((s) => s.id)],
    );
    return rows[0].n === sent.length;
  }, "all ordered events processed");
  for (const key of ["k0", "k1", "k2"]) {
    const order = seen.filter((s) => s.key === key).map((s) => s.n);
    assert.deepEqual(
      order,
      sent.filter((s) => s.key === key).map((s) => s.n),
      `order of ${key}`,
    );
  }
});

test("a paused source keeps storing and acknowledging; processing holds; resume processes in arrival order", async () => {
  await pauseInboxSource(pool, "orders", { by: "ada", reason: "downstream outage" });
  const held: Awaited<ReturnType<typeof send>>[] = [];
  for (let i = 0; i < 5; i++) held.push(await send("orders", { key: "held" }));
  // A barrier: an event of an unpaused source sent after them is processed...
  const barrier = await send("other");
  await waitUntil(async () => (await status(barrier.id)).status === "processed", "barrier");
  // ...while every event of the paused source is still stored, pending, untouched.
  for (const h of held) {
    const event = await status(h.id);
    assert.equal(event.status, "pending");
    assert.equal(await effects(h.id), 0);
  }
  const { rows } = await pool.query(
    "select paused, paused_by, pause_reason from opskit.inbox_sources where name = 'orders'",
  );
  assert.deepEqual(rows[0], { paused: true, paused_by: "ada", pause_reason: "downstream outage" });

  await resumeInboxSource(pool, "orders");
  await waitUntil(
    async () =>
      (await Promise.all(held.map((h) => status(h.id)))).every((e) => e.status === "processed"),
    "resumed",
  );
  const order = seen.filter((s) => s.key === "held").map((s) => s.n);
  assert.deepEqual(
    order,
    held.map((h) => h.n),
    "processed in arrival order",
  );
  await assert.rejects(
    pauseInboxSource(pool, "nope", { by: "a", reason: "b" }),
    /No inbox source "nope"/,
  );
});

test("replay by filter: a dry-run count first, then each event re-queued once, recorded with who/when/why", async () => {
  const a = await send("other", { type: "refund.created" });
  const b = await send("other", { type: "refund.created" });
  const c = await send("other", { type: "order.paid" });
  for (const e of [a, b, c]) {
    await waitUntil(
      async () => (await status(e.id)).status === "processed",
      "processed before replay",
    );
  }
  const filter = { source: "other", topic: "refund.created", status: "processed" as const };
  const dry = await replayInboxEvents(pool, filter, { by: "bo", reason: "recount", dryRun: true });
  assert.deepEqual(dry, { dryRun: true, count: 2, replayId: undefined });
  assert.equal((await status(a.id)).replays, 0, "a dry run changes nothing");
  const real = await replayInboxEvents(pool, filter, { by: "bo", reason: "recount", batchSize: 1 });
  assert.equal(real.count, 2);
  await waitUntil(
    async () => (await effects(a.id)) === 2 && (await effects(b.id)) === 2,
    "replayed twice",
  );
  assert.equal(await effects(c.id), 1);
  const { rows } = await pool.query(
    "select requested_by, reason, event_count, filter from opskit.inbox_replays where id = $1",
    [real.replayId],
  );
  assert.deepEqual(rows[0], { requested_by: "bo", reason: "recount", event_count: 2, filter });
  await assert.rejects(
    replayInboxEvents(pool, { status: "pending" }, { by: "x", reason: "y" }),
    /Only processed or dead events/,
  );
  await assert.rejects(replayInboxEvents(pool, {}, { by: " ", reason: "" }), /who asked/);
});

test("retention prunes payloads of finished events in bounded batches; rows and metadata stay", async () => {
  const old = [
    await send("orders", { key: "p" }),
    await send("orders", { key: "p" }),
    await send("orders", { key: "p" }),
  ];
  for (const e of old)
    await waitUntil(async () => (await status(e.id)).status === "processed", "processed");
  // An old event still pending keeps its payload whatever its age.
  await pauseInboxSource(pool, "orders", { by: "t", reason: "hold one" });
  const pending = await send("orders", { key: "q" });
  await pool.query(
    "update opskit.inbox_events set received_at = now() - interval '10 days' where id = any($1::bigint[])",
    [[...old.map((e) => e.id), pending.id]],
  );
  const result = await pruneInboxPayloads(pool, { source: "orders", batchSize: 2 });
  assert.equal(result.pruned.orders, 3);
  assert.equal(result.batches, 2);
  for (const e of old) {
    const row = await status(e.id);
    assert.equal(row.body, null);
    assert.ok(row.payload_pruned_at);
    assert.equal(row.status, "processed");
    assert.ok(row.dedupe_key && row.body_bytes > 0);
  }
  assert.ok((await status(pending.id)).body);
  await assert.rejects(replayInboxEvent(pool, old[0]!.id, { by: "a", reason: "b" }), /pruned/);
  await resumeInboxSource(pool, "orders");
  await waitUntil(async () => (await status(pending.id)).status === "processed", "resumed");
});
