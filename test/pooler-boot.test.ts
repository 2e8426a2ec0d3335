import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "./db.js";
import { PGBOUNCER_MISSING, startPgbouncer, type Pgbouncer } from "./pgbouncer.js";

// The built demo, as `npm start` runs it (npm test builds first), its
// DATABASE_URL through pgbouncer in transaction mode: how a refused boot
// looks to an operator (exit code, stderr), never with the password.
const main = path.resolve(import.meta.dirname, "../dist/examples/bakery/main.js");

let db: TestDatabase;
let bouncer: Pgbouncer;
let password: string;
before(async () => {
  if (PGBOUNCER_MISSING) return;
  db = await createTestDatabase();
  bouncer = await startPgbouncer(db.url, { poolMode: "transaction", poolSize: 2 });
  password = decodeURIComponent(new URL(db.url).password);
});
after(async () => {
  if (PGBOUNCER_MISSING) return;
  await bouncer.stop();
  await db.drop();
});

// Asynchronous: the pgbouncer of this process must keep serving while the demo boots.
function runDemo(env: Record<string, string>) {
  return new Promise<{ status: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH, LOG_LEVEL: "info", ...env },
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

test(
  "role worker behind a transaction pooler without OPSKIT_DATABASE_DIRECT_URL exits 1 naming the variable, never the password",
  { skip: PGBOUNCER_MISSING },
  async () => {
    const run = await runDemo({ DATABASE_URL: bouncer.url, OPSKIT_ROLE: "worker" });
    assert.equal(run.status, 1, run.output);
    assert.match(run.output, /POOLER_TRANSACTION_MODE/);
    assert.match(run.output, /Set OPSKIT_DATABASE_DIRECT_URL/);
    assert.ok(!run.output.includes(password), run.output);
  },
);

test(
  "a direct URL to another database exits 2 with the config report naming it, never the password",
  { skip: PGBOUNCER_MISSING },
  async () => {
    const other = new URL(db.url);
    other.pathname = "/postgres";
    const run = await runDemo({
      DATABASE_URL: bouncer.url,
      OPSKIT_DATABASE_DIRECT_URL: other.toString(),
      OPSKIT_ROLE: "worker",
    });
    assert.equal(run.status, 2, run.output);
    assert.match(run.output, /OPSKIT_DATABASE_DIRECT_URL/);
    assert.ok(!run.output.includes(password), run.output);
  },
);
