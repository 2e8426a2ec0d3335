import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { defineErrorCodes } from "../errors.js";
import { createLogger } from "../log/index.js";
import { createHttpApp } from "./index.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "debug",
    destination: {
      write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
    },
  });
  return { log, lines };
}

function appWith(routes: Hono, opts: { draining?: boolean; bodyLimitBytes?: number } = {}) {
  const { log, lines } = capture();
  const app = createHttpApp({
    log,
    mounts: [{ path: "/", app: routes }],
    isDraining: () => opts.draining ?? false,
    ...(opts.bodyLimitBytes ? { bodyLimitBytes: opts.bodyLimitBytes } : {}),
  });
  return { app, lines };
}

test("a safe X-Request-Id is kept, returned, and on the request's log lines", async () => {
  const routes = new Hono().get("/orders/:id", (c) => c.json({ ok: true }));
  const { app, lines } = appWith(routes);
  const res = await app.request("/orders/7", { headers: { "x-request-id": "req-abc.1" } });
  assert.equal(res.headers.get("x-request-id"), "req-abc.1");
  const line = lines.find((l) => l.msg === "request");
  assert.equal(line?.request_id, "req-abc.1");
  assert.equal(line?.route, "/orders/:id");
  assert.equal(line?.category, "http");
});

test("an unsafe or overlong X-Request-Id is replaced with a generated one", async () => {
  const { app } = appWith(new Hono().get("/", (c) => c.text("ok")));
  for (const bad of ["has space", "x".repeat(129), 'quote"', "a\u00e9"]) {
    const res = await app.request("/", { headers: { "x-request-id": bad } });
    const id = res.headers.get("x-request-id") ?? "";
    assert.notEqual(id, bad);
    assert.match(id, /^[0-9a-f-]{36}$/);
  }
});

test("an unexpected error is a 500 envelope with no stack or SQL; the log has the detail", async () => {
  const routes = new Hono().get("/boom", () => {
    throw new Error('relation "secret_table" does not exist at select * from secret_table');
  });
  const { app, lines } = appWith(routes);
  const res = await app.request("/boom");
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.doesNotMatch(text, /secret_table|at |stack/i);
  const body = JSON.parse(text) as { error: { code: string; requestId: string; message: string } };
  assert.equal(body.error.code, "INTERNAL");
  assert.equal(body.error.requestId, res.headers.get("x-request-id"));
  const logged = lines.find((l) => l.category === "error");
  assert.equal(logged?.request_id, body.error.requestId);
  assert.match(JSON.stringify(logged), /secret_table/);
});

const serviceErrors = defineErrorCodes({
  INVALID_STAGE: { status: 409, summary: "A stage change out of order was refused." },
});

test("an OpskitError keeps its status, code and message (a service's own code too)", async () => {
  const routes = new Hono().post("/x", () => {
    throw serviceErrors.error(
      "INVALID_STAGE",
      "Order 1 is in Filling; the next stage is Covering, not Packing.",
    );
  });
  const { app } = appWith(routes);
  const res = await app.request("/x", { method: "POST" });
  assert.equal(res.status, 409);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, "INVALID_STAGE");
  assert.match(body.error.message, /next stage is Covering/);
});

test("a database outage is a 503 DEPENDENCY_FAILURE with Retry-After", async () => {
  const routes = new Hono().get("/db", () => {
    throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  });
  const { app } = appWith(routes);
  const res = await app.request("/db");
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "5");
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, "DEPENDENCY_FAILURE");
  assert.doesNotMatch(body.error.message, /127\.0\.0\.1/);
});

test("unknown routes get a 404 envelope; bodies over the cap a 413", async () => {
  const routes = new Hono().post("/echo", async (c) => c.text(await c.req.text()));
  const { app } = appWith(routes, { bodyLimitBytes: 10 });
  const missing = await app.request("/nope");
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
  const big = await app.request("/echo", { method: "POST", body: "x".repeat(11) });
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { error: { code: string } }).error.code, "PAYLOAD_TOO_LARGE");
  const small = await app.request("/echo", { method: "POST", body: "x".repeat(10) });
  assert.equal(small.status, 200);
});

test("while draining, responses ask keep-alive clients to close the connection", async () => {
  const routes = new Hono().get("/", (c) => c.text("ok"));
  assert.equal((await appWith(routes).app.request("/")).headers.get("connection"), null);
  assert.equal(
    (await appWith(routes, { draining: true }).app.request("/")).headers.get("connection"),
    "close",
  );
});
