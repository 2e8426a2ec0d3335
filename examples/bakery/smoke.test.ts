import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { runCli } from "opskit/cli";
import type { RunningService } from "opskit/service";
import pg from "pg";
import { captureOutput } from "../../test/helpers.js";
import { startTestBakery, type TestBakery } from "./test-bakery.js";

// `opskit health wait URL --smoke` against the running demo, over real sockets.
const smokeModule = path.join(import.meta.dirname, "smoke.ts");
let bakery: TestBakery;
let service: RunningService<unknown>;
let manager: string;
let staff: string;

before(async () => {
  bakery = await startTestBakery();
  service = bakery.service;
  manager = await bakery.token("manager");
  staff = await bakery.token("staff");
});
after(() => bakery.stop());

async function healthWaitSmoke(token: string | undefined, ...extra: string[]) {
  const saved = process.env.SMOKE_TOKEN;
  if (token === undefined) delete process.env.SMOKE_TOKEN;
  else process.env.SMOKE_TOKEN = token;
  try {
    const { out, err, io } = captureOutput();
    const code = await runCli(
      ["health", "wait", service.url!, "--smoke", smokeModule, "--timeout", "20s", ...extra],
      io,
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    if (saved === undefined) delete process.env.SMOKE_TOKEN;
    else process.env.SMOKE_TOKEN = saved;
  }
}

test("healthy, then every smoke step passes: an order went through the whole line", async () => {
  const { code, out } = await healthWaitSmoke(manager);
  assert.equal(code, 0, out);
  assert.match(out, /running 3 smoke step\(s\)/);
  assert.match(out, /ok {3}order through the line \(\d+ ms\)\n {7}order (\d+)/);
  assert.match(out, /ok {3}who am I with a good token/);
  assert.match(out, /ok {3}who am I with a bad token is refused/);
  assert.match(out, /healthy; 3 smoke step\(s\) passed$/);
  const id = /order (\d+)/.exec(out)![1];
  const client = new pg.Client({ connectionString: bakery.db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ stage: string; store: string }>(
      "select stage, store from orders where id = $1",
      [id],
    );
    assert.deepEqual(rows, [{ stage: "Complete", store: "smoke.opskit" }]);
  } finally {
    await client.end();
  }
});

test("exit 1 naming each failed step: a staff token cannot create orders", async () => {
  const { code, out, err } = await healthWaitSmoke(staff);
  assert.equal(code, 1);
  assert.match(
    out,
    /FAIL order through the line \(\d+ ms\): POST \/api\/orders: expected HTTP 201, got 403/,
  );
  assert.match(out, /FAIL who am I with a good token .*not manager/);
  assert.match(out, /ok {3}who am I with a bad token is refused/);
  assert.equal(err, "smoke failed: order through the line, who am I with a good token");
  assert.doesNotMatch(out + err, new RegExp(staff.slice(-20)), "the token is never printed");
});

test("without a token the steps that need one fail and say what to set; --json has every result", async () => {
  const { code, out } = await healthWaitSmoke(undefined, "--json");
  assert.equal(code, 1);
  const report = JSON.parse(out) as {
    ok: boolean;
    smoke: { ok: boolean; results: { name: string; ok: boolean; error?: string }[] };
  };
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.smoke.results.map((r) => [r.name, r.ok]),
    [
      ["order through the line", false],
      ["who am I with a good token", false],
      ["who am I with a bad token is refused", true],
    ],
  );
  assert.match(report.smoke.results[0]!.error!, /Set SMOKE_TOKEN/);
});

test("a module without smoke steps, or none at all, is a usage error before any wait", async () => {
  const { io, err } = captureOutput();
  const manifest = path.join(import.meta.dirname, "manifest.ts");
  assert.equal(await runCli(["health", "wait", service.url!, "--smoke", manifest], io), 2);
  assert.match(err.join("\n"), /exports no smoke steps/);
  assert.equal(
    await runCli(["health", "wait", service.url!, "--smoke", "/nonexistent/smoke.js"], io),
    2,
  );
  assert.match(err.join("\n"), /Cannot load --smoke/);
});
