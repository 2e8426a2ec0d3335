import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createTestDatabase } from "../../test/db.js";
import { captureOutput, queryRows } from "../../test/helpers.js";
import { lockKeyOf } from "../migrate/index.js";
import { acquireMigrationLock } from "../migrate/migration-lock.js";
import { openRunnerSession } from "../migrate/runner-session.js";
import { runCli } from "./index.js";

const db = await createTestDatabase();
after(() => db.drop());

interface Report {
  ok: boolean;
  findings: { check: string; status: string; detail: string }[];
}

async function doctor(...args: string[]): Promise<{ code: number; report: Report }> {
  const run = captureOutput();
  const code = await runCli(["doctor", "--database-url", db.url, "--json", ...args], run.io);
  return { code, report: JSON.parse(run.out[0] ?? "") as Report };
}

const finding = (report: Report, check: string) => report.findings.find((f) => f.check === check);

test("a healthy database: reachable, session semantics, migrations pending are counted, an idle queue", async () => {
  const { code, report } = await doctor("--dir", "examples/bakery/migrations");
  assert.equal(code, 0, JSON.stringify(report));
  assert.equal(finding(report, "database")?.status, "ok");
  assert.match(finding(report, "server")?.detail ?? "", /PostgreSQL 15\./);
  assert.equal(finding(report, "pooler")?.status, "ok");
  assert.match(finding(report, "migrations")?.detail ?? "", /pending/);
  assert.deepEqual(finding(report, "jobs"), {
    check: "jobs",
    status: "ok",
    detail: "0 ready (oldest 0 s), 0 running, 0 dead",
  });
});

test("a stuck job fails the doctor and names the runbook; a dead job only warns", async () => {
  await queryRows(
    db.url,
    `insert into opskit.dead_jobs (id, task, payload, state, died_at) values (9001, 'push', '{}', 'running', now())`,
  );
  const dead = await doctor();
  assert.equal(dead.code, 0);
  assert.equal(finding(dead.report, "jobs")?.status, "warn");
  assert.match(finding(dead.report, "jobs")?.detail ?? "", /1 dead: docs\/runbooks\/dead-jobs\.md/);

  await queryRows(
    db.url,
    `insert into opskit.jobs (task, state, attempts, locked_by, locked_at, lease_expires_at)
     values ('push', 'running', 1, 'gone-worker', now() - interval '2 minutes', now() - interval '1 minute')`,
  );
  const stuck = await doctor();
  assert.equal(stuck.code, 1);
  assert.equal(finding(stuck.report, "jobs")?.status, "fail");
  assert.match(
    finding(stuck.report, "jobs")?.detail ?? "",
    /1 stuck \(lease expired\): docs\/runbooks\/stuck-jobs\.md/,
  );
});

test("a held migration lock is reported with its holder and what to do", async () => {
  const { client } = await openRunnerSession(db.url);
  try {
    await acquireMigrationLock(client, {
      key: lockKeyOf({}),
      timeoutMs: 1_000,
      staleMs: 0,
      onWait: () => undefined,
      onStaleTerminated: () => undefined,
    });
    const { report } = await doctor();
    assert.equal(finding(report, "migration lock")?.status, "warn");
    assert.match(
      finding(report, "migration lock")?.detail ?? "",
      /held by pid \d+ \(opskit-migrate, idle for \d+ s, from 127\.0\.0\.1\).*opskit migrate unlock --stale 60/,
    );
  } finally {
    await client.end();
  }
});
