import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { SignJWT } from "jose";
import { baseManifest, formatConfigReport, loadConfig } from "../config/index.js";
import { createHttpApp } from "../http/index.js";
import { createLogger, getLogContext } from "../log/index.js";
import { createAuth } from "./create-auth.js";
import { hashPassword } from "./password-hash.js";
import type { AuthEnv } from "./principal.js";
import { requireAuth, requireRole } from "./route-guards.js";

const SECRET = "route-guard-test-secret-0123456789abcdef";

function token(roles: string[], options: { exp?: string; secret?: string } = {}) {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("ada@example.com")
    .setIssuer("https://issuer.test")
    .setAudience("bakery")
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "5m")
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

async function makeApp(basicUsers: string[] = []) {
  const lines: string[] = [];
  const log = createLogger({
    level: "debug",
    destination: { write: (l: string) => void lines.push(l) },
  });
  const auth = createAuth(
    {
      NODE_ENV: "production",
      OPSKIT_AUTH_JWT_SECRET: SECRET,
      OPSKIT_AUTH_ISSUER: "https://issuer.test",
      OPSKIT_AUTH_AUDIENCE: ["bakery"],
      OPSKIT_AUTH_BASIC_USERS: basicUsers,
    },
    { log, realm: "bakery" },
  );
  const routes = new Hono<AuthEnv>();
  routes.get("/public", (c) => c.json({ ok: true }));
  routes.get("/me", requireAuth(), (c) => {
    log.info("handler ran");
    return c.json({ subject: c.get("principal")!.subject, context: getLogContext() });
  });
  routes.post("/orders", requireRole("manager"), (c) => c.json({ ok: true }));
  const app = createHttpApp({
    log,
    middleware: [auth.middleware()],
    mounts: [{ path: "/", app: routes }],
  });
  return { app, lines };
}

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

test("no token: 401 envelope with WWW-Authenticate naming the realm; public routes stay public", async () => {
  const { app } = await makeApp();
  assert.equal((await app.request("/public")).status, 200);
  const res = await app.request("/me");
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="bakery"');
  const body = (await res.json()) as { error: { code: string; requestId: string } };
  assert.equal(body.error.code, "UNAUTHORIZED");
  assert.ok(body.error.requestId);
});

test("a refused token: 401 with error=invalid_token and the reason; nothing of the token in any log line", async () => {
  const { app, lines } = await makeApp();
  const expired = await token(["manager"], { exp: "-2m" });
  const res = await app.request("/me", bearer(expired));
  assert.equal(res.status, 401);
  assert.equal(
    res.headers.get("www-authenticate"),
    'Bearer realm="bakery", error="invalid_token", error_description="expired"',
  );
  const good = await token(["manager"]);
  assert.equal((await app.request("/me", bearer(good))).status, 200);
  const log = lines.join("\n");
  assert.match(log, /credentials refused/);
  for (const t of [expired, good]) {
    for (const piece of t.split(".")) assert.ok(!log.includes(piece), "a token segment was logged");
  }
});

test("a valid token: the handler gets the principal, and log lines inside the request carry the subject", async () => {
  const { app, lines } = await makeApp();
  const res = await app.request("/me", bearer(await token(["viewer"])));
  const body = (await res.json()) as { subject: string; context: Record<string, string> };
  assert.equal(body.subject, "ada@example.com");
  assert.equal(body.context.subject, "ada@example.com");
  assert.equal(body.context.auth_scheme, "bearer");
  const line = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === "handler ran");
  assert.equal(line?.subject, "ada@example.com");
  assert.ok(line?.request_id);
});

test("a role guard: 403 FORBIDDEN without the role, 200 with it, 401 without a token", async () => {
  const { app } = await makeApp();
  const viewer = await app.request("/orders", {
    method: "POST",
    ...bearer(await token(["viewer"])),
  });
  assert.equal(viewer.status, 403);
  assert.equal(((await viewer.json()) as { error: { code: string } }).error.code, "FORBIDDEN");
  assert.equal(
    (await app.request("/orders", { method: "POST", ...bearer(await token(["manager"])) })).status,
    200,
  );
  assert.equal((await app.request("/orders", { method: "POST" })).status, 401);
});

test("HTTP Basic against a scrypt hash: the right password passes with its role, a wrong one or an unknown name is refused", async () => {
  const hash = await hashPassword("billing-service-password");
  const { app, lines } = await makeApp([`billing:${hash}:manager`]);
  const basic = (user: string, pass: string) => ({
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` },
  });
  assert.equal(
    (await app.request("/orders", basic("billing", "billing-service-password"))).status,
    200,
  );
  // Again, from the verified-pair cache.
  assert.equal(
    (await app.request("/orders", basic("billing", "billing-service-password"))).status,
    200,
  );
  const wrong = await app.request("/orders", basic("billing", "not-the-password"));
  assert.equal(wrong.status, 401);
  assert.equal(
    wrong.headers.get("www-authenticate"),
    'Bearer realm="bakery", Basic realm="bakery", charset="UTF-8"',
  );
  assert.equal(
    (await app.request("/orders", basic("nobody", "billing-service-password"))).status,
    401,
  );
  assert.ok(!lines.join("\n").includes("billing-service-password"));
});

test("a guard on a route without the auth middleware fails loudly instead of refusing everyone", async () => {
  const log = createLogger({ level: "silent" });
  const routes = new Hono<AuthEnv>().get("/x", requireAuth(), (c) => c.text("x"));
  const app = createHttpApp({ log, mounts: [{ path: "/", app: routes }] });
  assert.equal((await app.request("/x")).status, 500);
});

test("an HS secret under 32 bytes stops the boot in the config report, without echoing it", () => {
  const short = "short-secret-of-31-bytes-xxxxxx";
  const result = loadConfig(baseManifest, { OPSKIT_AUTH_JWT_SECRET: short });
  assert.equal(result.ok, false);
  const text = formatConfigReport(
    result.ok ? { missing: [], invalid: [], unknown: [] } : result.report,
    "text",
  );
  assert.match(text, /OPSKIT_AUTH_JWT_SECRET/);
  assert.ok(!text.includes(short));
});
