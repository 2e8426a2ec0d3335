// What every framework adapter (Fastify, Express, Nest) must do, checked over
// real sockets against a server the adapter's test started with the routes
// below; the same checks for each, so the three cannot drift apart.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mintDevelopmentToken } from "../src/auth/index.js";
import { githubVerifier } from "../src/inbox/index.js";
import type { Pool } from "../src/db/index.js";

export const WEBHOOK_SECRET = "adapter-webhook-secret";

/** The service options every adapter test boots with (an inbox source, a console login). */
export function adapterServiceOptions(databaseUrl: string, logs: Record<string, unknown>[]) {
  return {
    name: "adapted",
    version: "1.0.0",
    env: {
      DATABASE_URL: databaseUrl,
      NODE_ENV: "test",
      LOG_LEVEL: "info",
      OPSKIT_CONSOLE_ADMIN_TOKENS: "a".repeat(32),
      OPSKIT_JOBS_POLL_INTERVAL: "50ms",
      OPSKIT_SHUTDOWN_DRAIN_DELAY: "100ms",
    },
    logDestination: {
      write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    },
    inbox: () => ({
      sources: [
        {
          name: "gh",
          verifier: githubVerifier({ secrets: [WEBHOOK_SECRET] }),
          handler: () => undefined,
        },
      ],
    }),
  };
}

/**
 * The routes each adapter test declares in its framework:
 * GET /hello (logs "hello from route", answers {"ok":true}),
 * GET /boom (throws an Error), POST /items (a unique violation in Postgres),
 * GET /private (any authenticated caller), GET /admin (role admin).
 */
export const ADAPTER_ITEMS_TABLE =
  "create table if not exists adapter_items (name text primary key)";
export const DUPLICATE_INSERT = "insert into adapter_items values ('same'), ('same')";

export async function checkAdapter(
  base: string,
  ctx: { pool: Pool; logs: Record<string, unknown>[] },
): Promise<void> {
  for (const probe of ["/livez", "/readyz", "/health"]) {
    const res = await fetch(`${base}${probe}`);
    assert.equal(res.status, 200, probe);
    await res.body?.cancel();
  }
  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /opskit_/);

  // The request id: echoed, and on the route's own log line.
  const hello = await fetch(`${base}/hello`, { headers: { "x-request-id": "adapter-req-1" } });
  assert.equal(hello.status, 200);
  assert.equal(hello.headers.get("x-request-id"), "adapter-req-1");
  assert.deepEqual(await hello.json(), { ok: true });
  const line = ctx.logs.find((l) => l.msg === "hello from route");
  assert.equal(line?.request_id, "adapter-req-1", "the route's log line carries the request id");
  const access = ctx.logs.find((l) => l.msg === "request" && l.request_id === "adapter-req-1");
  assert.equal(access?.status, 200, "one access log line");
  const timed = await (await fetch(`${base}/metrics`)).text();
  assert.match(
    timed,
    /http_server_request_duration_seconds_count\{[^}]*http_route="\/hello"[^}]*\} 1/,
    "the framework's route is in the HTTP metrics",
  );

  // A thrown error: 500 in the envelope, nothing of the error's text.
  const boom = await fetch(`${base}/boom`);
  assert.equal(boom.status, 500);
  const boomBody = (await boom.json()) as {
    error: { code: string; message: string; requestId: string };
  };
  assert.equal(boomBody.error.code, "INTERNAL");
  assert.equal(boomBody.error.requestId, boom.headers.get("x-request-id"));
  assert.doesNotMatch(JSON.stringify(boomBody), /kaboom|at /);
  assert.ok(
    ctx.logs.some((l) => l.msg === "request failed" && l.request_id === boomBody.error.requestId),
    "the 500 is logged with its request id",
  );

  // A Postgres error the request caused: 409 CONFLICT, no SQL or constraint name.
  await ctx.pool.query(ADAPTER_ITEMS_TABLE);
  const dup = await fetch(`${base}/items`, { method: "POST" });
  assert.equal(dup.status, 409);
  const dupBody = (await dup.json()) as { error: { code: string; message: string } };
  assert.equal(dupBody.error.code, "CONFLICT");
  assert.doesNotMatch(dupBody.error.message, /adapter_items|pkey/);

  // Not found: the envelope too.
  const missing = await fetch(`${base}/nothing-here`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "NOT_FOUND");

  // The inbox: the raw bytes verified and stored, whatever the framework parses.
  const body = '{ "ref" :  "refs/heads/main" }';
  const signature = `sha256=${createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex")}`;
  const hook = await fetch(`${base}/webhooks/gh`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": "adapter-delivery-1",
      "x-hub-signature-256": signature,
    },
  });
  assert.equal(hook.status, 200);
  const { rows } = await ctx.pool.query<{ body: Buffer }>(
    "select body from opskit.inbox_events where source = 'gh' and dedupe_key = 'adapter-delivery-1'",
  );
  assert.deepEqual(
    rows.map((r) => r.body.toString()),
    [body],
  );

  // The console's login page.
  const login = await fetch(`${base}/ops/login`);
  assert.equal(login.status, 200);
  assert.match(await login.text(), /<form/i);

  // Route guards.
  const anonymous = await fetch(`${base}/private`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Bearer realm="adapted"/);
  const config = { NODE_ENV: "test" as const };
  const viewer = await mintDevelopmentToken(config, { subject: "vic", roles: ["viewer"] });
  const admin = await mintDevelopmentToken(config, { subject: "ada", roles: ["admin"] });
  const asViewer = await fetch(`${base}/private`, {
    headers: { authorization: `Bearer ${viewer}` },
  });
  assert.equal(asViewer.status, 200);
  assert.deepEqual(await asViewer.json(), { subject: "vic" });
  const forbidden = await fetch(`${base}/admin`, {
    headers: { authorization: `Bearer ${viewer}` },
  });
  assert.equal(forbidden.status, 403);
  assert.equal(((await forbidden.json()) as { error: { code: string } }).error.code, "FORBIDDEN");
  const allowed = await fetch(`${base}/admin`, { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(allowed.status, 200);
  const refused = await fetch(`${base}/private`, {
    headers: { authorization: "Bearer not-a-jwt" },
  });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
}
