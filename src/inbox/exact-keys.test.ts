import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createHttpApp } from "../http/index.js";
import { createLogger } from "../log/index.js";
import { createInbox, hmacVerifier, type Inbox } from "./index.js";

const SECRET = "exact-keys-secret";
let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 4 });
  inbox = createInbox({
    pool,
    sources: [
      {
        name: "ids",
        verifier: hmacVerifier({
          secrets: [SECRET],
          header: "x-signature",
          dedupeKey: { json: "id" },
        }),
        orderingKey: { json: "order.id" },
        handler: () => undefined,
      },
    ],
  });
  await inbox.register();
});
after(async () => {
  await inbox.close();
  await pool.end();
  await db.drop();
});

async function deliver(body: string) {
  const app = createHttpApp({
    log: createLogger({ level: "silent" }),
    mounts: [{ path: "/", app: inbox.app }],
  });
  const res = await app.request("/webhooks/ids", {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-signature": createHmac("sha256", SECRET).update(body).digest("hex"),
    },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test("two numeric ids above 2^53 that round to one double are two events, each keyed by its exact digits", async () => {
  const first = await deliver('{"id": 820982911946154508, "order": {"id": 820982911946154508}}');
  const second = await deliver('{"id": 820982911946154509, "order": {"id": 820982911946154509}}');
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  assert.equal(second.body.duplicate, false);
  const { rows } = await pool.query<{ dedupe_key: string; ordering_key: string }>(
    "select dedupe_key, ordering_key from opskit.inbox_events where source = 'ids' order by id",
  );
  assert.deepEqual(rows, [
    { dedupe_key: "820982911946154508", ordering_key: "820982911946154508" },
    { dedupe_key: "820982911946154509", ordering_key: "820982911946154509" },
  ]);
  const again = await deliver('{"id":820982911946154509,"order":{"id":1}}');
  assert.deepEqual(again.body, { received: true, duplicate: true });
});

test("a number key is its text as sent: 1e3 and 1000 are two ids, -5 is kept with its sign", async () => {
  for (const id of ["1e3", "1000", "-5", "12.50"]) {
    const res = await deliver(`{"id": ${id}}`);
    assert.equal(res.body.duplicate, false, id);
  }
  const { rows } = await pool.query<{ dedupe_key: string }>(
    "select dedupe_key from opskit.inbox_events where source = 'ids' and dedupe_key = any($1) order by id",
    [["1e3", "1000", "-5", "12.50"]],
  );
  assert.deepEqual(
    rows.map((r) => r.dedupe_key),
    ["1e3", "1000", "-5", "12.50"],
  );
});

test("string ids keep their spaces, and an id with a lone surrogate is stored as rejected, not merged", async () => {
  assert.equal((await deliver('{"id": " 77"}')).body.duplicate, false);
  assert.equal((await deliver('{"id": "77"}')).body.duplicate, false);
  const lone = await deliver('{"id": "\\ud800"}');
  const other = await deliver('{"id": "\\udc00"}');
  assert.equal(lone.status, 400);
  assert.equal(other.status, 400);
  const { rows } = await pool.query<{ n: number }>(
    "select count(*)::int as n from opskit.inbox_events where source = 'ids' and status = 'rejected'",
  );
  assert.equal(rows[0]!.n, 2);
});
