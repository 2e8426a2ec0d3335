import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Registry } from "prom-client";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { waitUntil } from "../../test/jobs.js";
import { createPool, type Pool } from "../db/index.js";
import { createHttpApp, startHttpServer } from "../http/index.js";
import { createLogger } from "../log/index.js";
import { createInbox, githubVerifier, listInboxRejections, type Inbox } from "./index.js";

let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;
let registry: Registry;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 4 });
  registry = new Registry();
  inbox = createInbox({
    pool,
    registry,
    sources: [
      { name: "gh", verifier: githubVerifier({ secrets: ["s"] }), handler: () => undefined },
    ],
  });
  await inbox.register();
});
after(async () => {
  await inbox.close();
  await pool.end();
  await db.drop();
});

async function tooLarge(): Promise<number> {
  const metric = await registry.getSingleMetric("opskit_inbox_requests_total")!.get();
  return (
    metric.values.find((v) => v.labels.source === "gh" && v.labels.outcome === "too_large")
      ?.value ?? 0
  );
}

test("a webhook refused on its declared Content-Length by the app's cap is counted and listed as a rejection", async () => {
  const app = createHttpApp({
    log: createLogger({ level: "silent" }),
    mounts: [{ path: "/", app: inbox.app }],
    bodyLimitBytes: 1_000,
  });
  const body = JSON.stringify({ pad: "x".repeat(2_000) });
  const headers = { "content-type": "application/json", "x-github-delivery": "big-1" };
  const http = await startHttpServer(app, { port: 0, host: "127.0.0.1" });
  try {
    // Served by Node (startHttpServer) and through Hono (app.request): both declare the length.
    const viaNode = await fetch(`${http.url}/webhooks/gh`, { method: "POST", body, headers });
    assert.equal(viaNode.status, 413);
    const viaHono = await app.request("/webhooks/gh", {
      method: "POST",
      body,
      headers: { ...headers, "content-length": String(body.length), "x-github-delivery": "big-2" },
    });
    assert.equal(viaHono.status, 413);
    assert.equal(
      ((await viaHono.json()) as { error: { code: string } }).error.code,
      "PAYLOAD_TOO_LARGE",
    );
  } finally {
    await http.close(1_000);
  }
  assert.equal(await tooLarge(), 2);
  await waitUntil(
    async () => (await listInboxRejections(pool, { source: "gh" })).length === 2,
    "two rejections recorded",
  );
  const rows = await listInboxRejections(pool, { source: "gh" });
  assert.deepEqual(rows.map((r) => [r.reason, r.http_status, r.delivery_id]).sort(), [
    ["too_large", 413, "big-1"],
    ["too_large", 413, "big-2"],
  ]);
});
