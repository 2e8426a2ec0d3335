/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- CLI JSON output is read loosely */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createInbox, githubVerifier, type Inbox } from "../inbox/index.js";
import { runCli } from "./index.js";
import { captureOutput } from "../../test/helpers.js";

let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;
const ids: string[] = [];

async function cli(...args: string[]) {
  const captured = captureOutput();
  const code = await runCli([...args, "--database-url", db.url], captured.io);
  return { code, out: captured.out.join("\n"), err: captured.err.join("\n") };
}

async function cliJson(...args: string[]): Promise<any> {
  const result = await cli(...args, "--json");
  assert.equal(result.code, 0, result.err);
  return JSON.parse(result.out);
}

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  inbox = createInbox({
    pool,
    sources: [
      {
        name: "gh",
        verifier: githubVerifier({ secrets: ["s"] }),
        handler: () => undefined,
        retentionDays: 3,
      },
    ],
  });
  await inbox.register();
  for (const [i, topic] of ["push", "push", "issues"].entries()) {
    const body = JSON.stringify({ i });
    const res = await inbox.receive({
      source: "gh",
      headers: [
        ["x-github-delivery", `cli-${i}`],
        ["x-github-event", topic],
        ["x-hub-signature-256", "sha256=" + createHmac("sha256", "s").update(body).digest("hex")],
      ],
      body: Buffer.from(body),
      requestId: "t",
    });
    ids.push(res.body.id as string);
  }
  await inbox.receive({
    source: "gh",
    headers: [["x-hub-signature-256", "sha256=00"]],
    body: Buffer.from("{}"),
    requestId: "t",
  });
  await inbox.close();
  // As if a worker had processed them.
  await pool.query("update opskit.inbox_events set status = 'processed', attempts = 1");
  await pool.query("delete from opskit.jobs");
});
after(async () => {
  await pool.end();
  await db.drop();
});

test("list: events newest first with filters, sources with counts, refused requests", async () => {
  const all = await cliJson("inbox", "list");
  assert.deepEqual(
    all.events.map((e: { id: string }) => e.id),
    [...ids].reverse(),
  );
  const pushes = await cliJson(
    "inbox",
    "list",
    "--source",
    "gh",
    "--topic",
    "push",
    "--limit",
    "1",
  );
  assert.deepEqual(
    pushes.events.map((e: { dedupe_key: string }) => e.dedupe_key),
    ["cli-1"],
  );
  const sources = await cliJson("inbox", "list", "--sources");
  assert.equal(sources.sources[0].name, "gh");
  assert.equal(sources.sources[0].retention_days, 3);
  assert.deepEqual(
    sources.counts.map((c: { status: string; count: number }) => [c.status, c.count]),
    [["processed", 3]],
  );
  const rejections = await cliJson("inbox", "list", "--rejections");
  assert.equal(rejections.rejections[0].reason, "malformed_signature");
  const text = await cli("inbox", "list", "--status", "processed");
  assert.equal(text.code, 0);
  assert.match(text.out, /cli-2\s+1\s/);
});

test("show: metadata and masked headers; --body prints the raw payload", async () => {
  const shown = await cliJson("inbox", "show", ids[0]!);
  assert.equal(shown.dedupe_key, "cli-0");
  assert.equal(shown.headers["x-hub-signature-256"], "[masked]");
  assert.equal(Buffer.from(shown.body, "base64").toString(), '{"i":0}');
  const text = await cli("inbox", "show", ids[0]!, "--body");
  assert.match(text.out, /status\s+processed/);
  assert.match(text.out, /\{"i":0\}/);
  assert.equal((await cli("inbox", "show", "424242")).code, 1);
});

test("replay: a filter only counts without --yes; with --yes it re-queues and records who and why", async () => {
  const dry = await cliJson("inbox", "replay", "--source", "gh", "--topic", "push");
  assert.deepEqual(dry, { dryRun: true, count: 2 });
  const { rows: before } = await pool.query("select count(*)::int as n from opskit.jobs");
  assert.equal(before[0].n, 0);
  const done = await cliJson(
    "inbox",
    "replay",
    "--source",
    "gh",
    "--topic",
    "push",
    "--yes",
    "--reason",
    "bug fixed",
    "--by",
    "ada",
  );
  assert.equal(done.count, 2);
  const { rows } = await pool.query(
    "select e.status, j.task from opskit.inbox_events e join opskit.jobs j on j.payload->>'eventId' = e.id::text order by e.id",
  );
  assert.deepEqual(rows, [
    { status: "pending", task: "inbox.gh" },
    { status: "pending", task: "inbox.gh" },
  ]);
  const replay = await pool.query(
    "select requested_by, reason, event_count from opskit.inbox_replays",
  );
  assert.deepEqual(replay.rows, [{ requested_by: "ada", reason: "bug fixed", event_count: 2 }]);
  const one = await cliJson("inbox", "replay", ids[2]!, "--reason", "customer asked", "--by", "bo");
  assert.equal(one.count, 1);
  const notAgain = await cli("inbox", "replay", ids[2]!, "--reason", "again");
  assert.equal(notAgain.code, 1);
  assert.match(notAgain.err, /is pending; only processed or dead events/);
});

test("pause and resume record who and why and pause the source's queue", async () => {
  const paused = await cliJson("inbox", "pause", "gh", "--reason", "partner outage", "--by", "ada");
  assert.equal(paused.paused, true);
  assert.equal(paused.paused_by, "ada");
  const queue = await pool.query("select paused from opskit.job_queues where name = 'inbox.gh'");
  assert.deepEqual(queue.rows, [{ paused: true }]);
  const resumed = await cliJson("inbox", "resume", "gh");
  assert.equal(resumed.paused, false);
  assert.deepEqual(
    (await pool.query("select paused from opskit.job_queues where name = 'inbox.gh'")).rows,
    [{ paused: false }],
  );
  const unknown = await cli("inbox", "pause", "nope", "--reason", "x");
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /No inbox source "nope" \(known: gh\)/);
});

test("prune: only payloads past retention, in batches; rows stay", async () => {
  await pool.query(
    "update opskit.inbox_events set status = 'processed', received_at = now() - interval '5 days' where id = $1",
    [ids[0]],
  );
  const result = await cliJson("inbox", "prune", "--batch-size", "10");
  assert.deepEqual(result.pruned, { gh: 1 });
  const { rows } = await pool.query(
    "select id, body is null as pruned from opskit.inbox_events order by id",
  );
  assert.deepEqual(
    rows.map((r) => r.pruned),
    [true, false, false],
  );
});

test("usage errors exit 2", async () => {
  assert.equal((await cli("inbox", "replay")).code, 2);
  assert.equal((await cli("inbox", "replay", "--source", "gh", "--yes")).code, 2);
  assert.equal((await cli("inbox", "list", "--status", "weird")).code, 2);
  assert.equal((await cli("inbox", "pause", "gh")).code, 2);
  assert.equal((await cli("inbox", "list", "--since", "yesterday")).code, 2);
  const saved = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    assert.equal(await runCli(["inbox", "list"], captureOutput().io), 2);
  } finally {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  }
});
