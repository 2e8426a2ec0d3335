import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createHttpApp } from "../http/index.js";
import { createLogger } from "../log/index.js";
import { createInbox, githubVerifier, type Inbox } from "./index.js";

// GitHub's docs, "Validating webhook deliveries": this secret, payload and signature.
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = "Hello, World!";
const SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 2 });
  inbox = createInbox({
    pool,
    sources: [
      {
        name: "github",
        verifier: githubVerifier({ secrets: [SECRET] }),
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

async function deliver(signature: string, delivery: string) {
  const app = createHttpApp({
    log: createLogger({ level: "silent" }),
    mounts: [{ path: "/", app: inbox.app }],
  });
  const res = await app.request("/webhooks/github", {
    method: "POST",
    body: PAYLOAD,
    headers: {
      "x-hub-signature-256": signature,
      "x-github-delivery": delivery,
      "x-github-event": "ping",
    },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test("GitHub's published test vector is stored as a pending event with the verifier's defaults", async () => {
  const res = await deliver(SIGNATURE, "vector-1");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { rows } = await pool.query<{ status: string; topic: string; body: Buffer }>(
    "select status, topic, body from opskit.inbox_events where dedupe_key = 'vector-1'",
  );
  assert.deepEqual(
    rows.map((r) => [r.status, r.topic, r.body.toString()]),
    [["pending", "ping", PAYLOAD]],
  );
});

test("a wrong signature over the same payload is still refused", async () => {
  const wrong = SIGNATURE.replace(/.$/, "f");
  assert.equal((await deliver(wrong, "vector-2")).status, 401);
  const { rowCount } = await pool.query(
    "select 1 from opskit.inbox_events where dedupe_key = 'vector-2'",
  );
  assert.equal(rowCount, 0);
});
