import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { test } from "node:test";
import { waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "../jobs/index.js";
import { createKeyRing } from "./key-ring.js";
import { rotateSecretsTask, type RotationCheckpoint } from "./rotate-secrets.js";
import { createSecretBox } from "./secret-box.js";
import { createSecretsAdmin } from "./secrets-admin.js";
import { registerSecretColumns } from "./sql/secret-columns.js";

// 20,000 by default (seconds); SECRETS_ROTATION_ROWS=100000 for the long run (docs/secrets.md).
const TOTAL = Number(process.env.SECRETS_ROTATION_ROWS ?? 20_000);
const fixture = path.resolve(import.meta.dirname, "../../test/fixtures/secrets-worker.ts");
const column = { table: "fixture_secrets", column: "value", idColumn: "id" };

function spawnWorker(url: string, keys: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, DATABASE_URL: url, OPSKIT_SECRET_KEYS: keys, BATCH: "250" },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

async function ready(child: ChildProcess): Promise<void> {
  let seen = "";
  for await (const chunk of child.stdout!) {
    seen += String(chunk);
    if (seen.includes("ready")) return;
  }
  throw new Error("worker exited before it was ready");
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

test(`rotating ${TOTAL} values, the worker SIGKILLed midway: the restarted job completes and every value decrypts under the new key alone`, async () => {
  await withPool(async (pool, db) => {
    const [k1, k2] = [randomBytes(32).toString("base64"), randomBytes(32).toString("base64")];
    await pool.query("create table fixture_secrets (id bigint primary key, value text)");
    const old = createSecretBox(createKeyRing(`k1:${k1}`));
    for (let start = 1; start <= TOTAL; start += 10_000) {
      const ids = Array.from({ length: Math.min(10_000, TOTAL - start + 1) }, (_, i) => start + i);
      const values = ids.map((id) => old.encrypt(`token-${id}`, { ...column, id }));
      await pool.query(
        "insert into fixture_secrets select * from unnest($1::bigint[], $2::text[])",
        [ids, values],
      );
    }
    await registerSecretColumns(pool, [column]);
    const ring = createKeyRing(`k2:${k2},k1:${k1}`);
    const admin = createSecretsAdmin({ pool, ring });
    const { jobId } = await admin.rotate();
    const queue = createQueue({
      pool,
      tasks: [rotateSecretsTask({ pool, box: () => undefined, columns: () => [] })],
    });
    const checkpoint = async () =>
      (await queue.get(jobId))?.checkpoint as RotationCheckpoint | null | undefined;

    let worker = spawnWorker(db.url, `k2:${k2},k1:${k1}`);
    await ready(worker);
    await waitUntil(
      async () => ((await checkpoint())?.rotated ?? 0) >= TOTAL * 0.2,
      "a fifth rotated",
    );
    await kill(worker, "SIGKILL");
    const atKill = await checkpoint();
    assert.ok(atKill && atKill.rotated < TOTAL, `killed midway (at ${atKill?.rotated})`);
    assert.notEqual((await queue.get(jobId))?.state, "completed");

    worker = spawnWorker(db.url, `k2:${k2},k1:${k1}`);
    await ready(worker);
    await waitUntil(
      async () => (await queue.get(jobId))?.state === "completed",
      "rotation completed",
      170_000,
    );
    await kill(worker, "SIGTERM");

    const done = await checkpoint();
    assert.equal(done?.rotated, TOTAL);
    assert.equal(done?.failed, 0);
    await queue.close();
    const status = await admin.status();
    assert.deepEqual(status.totals, [{ keyId: "k2", count: TOTAL }]);
    assert.deepEqual(status.removableKeyIds, ["k1"]);
    // k1 removed from the ring: every value still decrypts, to its own text.
    const box = createSecretBox(createKeyRing(`k2:${k2}`));
    const { rows } = await pool.query<{ id: string; value: string }>(
      "select id::text, value from fixture_secrets",
    );
    for (const row of rows) {
      assert.equal(box.decrypt(row.value, { ...column, id: row.id }), `token-${row.id}`);
    }
  });
});
