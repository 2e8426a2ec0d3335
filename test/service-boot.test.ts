import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { after, test } from "node:test";
import { createTestDatabase } from "./db.js";

// The built demo, as `npm start` runs it (npm test builds first).
const main = path.resolve(import.meta.dirname, "../dist/examples/bakery/main.js");
const TOKEN = "S3cretTok3n-9f8e7d";

function runDemo(env: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, [main, ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: "info", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

const db = await createTestDatabase();
after(() => db.drop());

test("a bad config exits 2 with every problem in one report and no secret echoed", () => {
  const run = runDemo({
    DATABASE_URL: `mysql://app:${TOKEN}@db.internal/app`,
    PORT: "70000",
    OPSKIT_ROLE: "everything",
    OPSKIT_TYPO: TOKEN,
  });
  assert.equal(run.status, 2, run.stderr);
  const output = run.stdout + run.stderr;
  assert.doesNotMatch(output, new RegExp(TOKEN));
  for (const name of ["DATABASE_URL", "PORT", "OPSKIT_ROLE", "OPSKIT_TYPO"])
    assert.match(output, new RegExp(name));
});

test("--json gives the bad-config report as one JSON object", () => {
  const run = runDemo({ PORT: "nope" }, ["--json"]);
  assert.equal(run.status, 2);
  const report = JSON.parse(run.stderr.trim()) as Record<string, unknown>;
  assert.ok(JSON.stringify(report).includes("PORT"));
});

test("an unreachable database exits 1 naming the host, never the password", () => {
  const run = runDemo({ DATABASE_URL: `postgres://app:${TOKEN}@127.0.0.1:1/app` });
  assert.equal(run.status, 1);
  const output = run.stdout + run.stderr;
  assert.match(output, /127\.0\.0\.1:1/);
  assert.doesNotMatch(output, new RegExp(TOKEN));
});

test("role migrate applies the migrations and exits 0; again, it has nothing to do", () => {
  const first = runDemo({ DATABASE_URL: db.url, OPSKIT_ROLE: "migrate" });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /0001_orders\.sql/);
  const second = runDemo({ DATABASE_URL: db.url, OPSKIT_ROLE: "migrate" });
  assert.equal(second.status, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /migration applied/);
});

test("one of the demo's two outbox variables without the other exits 2 naming the missing one, no secret echoed", () => {
  const secret = "whsec_Q2FrZXNBbmRCcmVhZFRoYXRJc05vdFJlYWxLZXk=";
  const run = runDemo({ DATABASE_URL: db.url, BAKERY_OUTBOX_WEBHOOK_SECRET: secret });
  assert.equal(run.status, 2, run.stderr);
  const output = run.stdout + run.stderr;
  assert.match(
    output,
    /Missing[^\n]*\n\s+BAKERY_OUTBOX_WEBHOOK_URL\n\s+expected: set together with BAKERY_OUTBOX_WEBHOOK_SECRET/,
  );
  assert.ok(!output.includes(secret.slice("whsec_".length)), output);
});
