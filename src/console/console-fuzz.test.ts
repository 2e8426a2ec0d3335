import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import fc from "fast-check";
import type { Hono } from "hono";
import { consoleClient, mountAt, type ConsoleClient } from "../../test/console.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createQueue, defineTask } from "../jobs/index.js";
import { createConsole, type Console } from "./index.js";

/*
 * The logged-in console's route table, fuzzed: every GET and POST route is
 * sent hostile input (NUL and control bytes, lone surrogates, invalid UTF-8
 * escapes, huge, negative and fractional numbers, 19+ digit ids, CRLF,
 * oversized values, every content type, path parameters of every shape)
 * with a valid session and CSRF token. Every answer is below 500, and after
 * the run no effect is without its audit row.
 *
 * `npm test` runs it for about 30 s; OPSKIT_FUZZ_RUNS=N runs N cases with
 * no time limit (docs/console.md has the command and the last long run).
 */

const ADMIN = "a".repeat(32);
const RUNS = Number(process.env.OPSKIT_FUZZ_RUNS ?? 0);
const TIME_LIMIT_MS = 30_000;
const task = defineTask<{ n: number }>("fuzz", async () => undefined);

let db: TestDatabase;
let pool: Pool;
let opsConsole: Console;
let app: Hono;
let browser: ConsoleClient;
const seeded: string[] = [];

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 10 });
  opsConsole = createConsole({
    pool,
    development: false,
    credentials: { adminTokens: [ADMIN] },
    sampleIntervalMs: 0,
    bulkCap: 5,
  });
  app = mountAt(opsConsole);
  // Something for every screen and action to act on.
  const queue = createQueue({ pool, tasks: [task] });
  for (const q of ["default", "mail"]) {
    for (let n = 0; n < 4; n++) {
      const added = await queue.add(
        task,
        { n },
        { queue: q, runAt: new Date(Date.now() + 3600_000) },
      );
      seeded.push(added.id);
    }
  }
  await pool.query(
    `with d as (delete from opskit.jobs where id = any($1::bigint[]) returning *)
     insert into opskit.dead_jobs select d.*, now() from d`,
    [seeded.slice(0, 3)],
  );
  await pool.query(`insert into opskit.inbox_sources (name, verifier) values ('shop', 'hmac')`);
  for (let n = 0; n < 4; n++)
    await pool.query(
      `insert into opskit.inbox_events (source, dedupe_key, topic, status, body, body_bytes)
       values ('shop', $1, 'order', $2, '\\x7b7d', 2)`,
      [`k${n}`, n % 2 ? "processed" : "dead"],
    );
  browser = await login();
});
after(async () => {
  await opsConsole.close();
  await pool.end();
  await db.drop();
});

async function login(): Promise<ConsoleClient> {
  const client = consoleClient(app);
  assert.equal((await client.loginWithToken(ADMIN)).status, 303);
  return client;
}

// ---- generators -------------------------------------------------------

const PIECES = [
  "\0",
  "%00",
  "\r\n",
  "%0D%0A",
  "\r",
  "\n",
  "\t",
  "\u0001",
  "\u001b",
  "\u007f",
  "%7F",
  "\ud800",
  "\udfff",
  "\ufffd",
  "%C0%80",
  "%FF",
  "%E0%80",
  "%ED%A0%80",
  "%",
  "%%",
  "%2",
  "%u0000",
  "'",
  '"',
  "<",
  ">",
  "&",
  "\\",
  "/",
  "//",
  "..",
  "?",
  "#",
  "=",
  ";",
  "+",
  " ",
  ",",
  "é",
  "\u20ac",
  "😀",
  "\u202e",
  "\u0000x",
  "-1",
  "0",
  "1.5",
  "1e309",
  "NaN",
  "Infinity",
];
const NUMBERS = [
  "9007199254740993",
  "9223372036854775807",
  "9223372036854775808",
  "99999999999999999999",
  "18446744073709551616",
  "-9223372036854775809",
  "2147483648",
  "-1",
  "0",
  "00000000000000000001",
  "1.5",
  "-0",
  "1e20",
  "0x10",
  "١٢٣",
];
const DATES = [
  "99999-01-01",
  "-010000-01-01T00:00",
  "0000-01-01T00:00",
  "+275760-09-13T00:00:00Z",
  "2026-02-30T00:00",
  "2026-01-01T25:00",
  "2026-01-01T00:00+25:00",
  "1969-12-31T23:59:59.999Z",
  "2026-01-01",
  "9999-12-31T23:59",
  "10000-01-01T00:00",
];

const hostile: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { maxLength: 6 })
      .map((a) => a.join("")),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 2, arbitrary: fc.constantFrom(...DATES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("x".repeat(70_000), "%00".repeat(5_000), "\u20ac".repeat(30_000)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", "yes", "dead", "ready", "default", "shop", randomUUID()),
  },
);

/** A value as it goes into a URL: percent-encoded, or as is (invalid escapes and all). */
const encoded = (raw: boolean, value: string): string => {
  if (raw) return value;
  try {
    return encodeURIComponent(value);
  } catch {
    return value; // a lone surrogate: no encoding exists, so it goes raw
  }
};

const FIELDS = [
  "state",
  "queue",
  "task",
  "payload",
  "within",
  "since",
  "until",
  "before",
  "source",
  "topic",
  "status",
  "dedupe_key",
  "actor",
  "action",
  "next",
  "return_to",
  "reason",
  "confirm",
  "request_key",
  "expected",
  "token",
  "name",
  "password",
  "_csrf",
  "refresh",
];
const fields = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), hostile), hostile, {
  maxKeys: 6,
});

const CONTENT_TYPES = [
  "application/x-www-form-urlencoded",
  "application/x-www-form-urlencoded; charset=iso-8859-1",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "multipart/form-data; boundary=xyz",
  "application/json",
  "text/plain",
  "application/octet-stream",
  "",
  "form-data",
  "\u00ff",
];

interface Case {
  route: { method: string; path: string };
  params: string[];
  rawPath: boolean;
  query: Record<string, string>;
  rawQuery: boolean;
  form: Record<string, string>;
  body: "urlencoded" | "multipart" | "raw";
  contentType: string;
  rawBytes: number[];
  csrf: boolean;
  hxCurrentUrl: string | undefined;
}

function routes(): { method: string; path: string }[] {
  const seen = new Set<string>();
  return app.routes
    .filter((r) => r.method === "GET" || r.method === "POST")
    .filter((r) => {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((r) => ({ method: r.method, path: r.path }));
}

const caseOf = (all: { method: string; path: string }[]): fc.Arbitrary<Case> =>
  fc.record({
    route: fc.constantFrom(...all),
    params: fc.array(fc.oneof(hostile, fc.constantFrom(...NUMBERS), fc.nat().map(String)), {
      minLength: 3,
      maxLength: 3,
    }),
    rawPath: fc.boolean(),
    query: fields,
    rawQuery: fc.boolean(),
    form: fields,
    body: fc.constantFrom("urlencoded", "multipart", "raw"),
    contentType: fc.constantFrom(...CONTENT_TYPES),
    rawBytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
    csrf: fc.boolean(),
    hxCurrentUrl: fc.option(hostile, { nil: undefined }),
  });

/** The request a case describes, or undefined when no client could send it (no valid URL). */
function requestOf(c: Case): Request | undefined {
  let i = 0;
  const path = c.route.path.replace(/:(\w+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g, () =>
    encoded(c.rawPath, c.params[i++ % c.params.length]!),
  );
  const search = Object.entries(c.query)
    .map(([k, v]) => `${encoded(c.rawQuery, k)}=${encoded(c.rawQuery, v)}`)
    .join("&");
  let url: URL;
  try {
    url = new URL(`http://localhost${path}${search ? `?${search}` : ""}`);
  } catch {
    return undefined;
  }
  const headers = new Headers();
  headers.set("cookie", [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
  try {
    if (c.hxCurrentUrl !== undefined) headers.set("hx-current-url", c.hxCurrentUrl);
  } catch {
    // not a ByteString: no client can send it
  }
  if (c.route.method === "GET") return new Request(url, { headers });
  const form = { ...c.form };
  if (c.csrf && browser.csrf()) form._csrf = browser.csrf()!;
  let body: FormData | string | Uint8Array;
  if (c.body === "multipart") {
    const data = new FormData();
    for (const [k, v] of Object.entries(form)) data.append(k, v);
    body = data; // the runtime sets the content type with its boundary
  } else {
    body =
      c.body === "urlencoded"
        ? Object.entries(form)
            .map(([k, v]) => `${encoded(c.rawQuery, k)}=${encoded(c.rawQuery, v)}`)
            .join("&")
        : new Uint8Array(c.rawBytes);
    try {
      headers.set("content-type", c.contentType);
    } catch {
      // not a ByteString
    }
  }
  return new Request(url, { method: c.route.method, headers, body });
}

function describe(c: Case, request: Request): string {
  return `${request.method} ${request.url} ${JSON.stringify({ ...c, route: undefined })}`;
}

/** Answers by status class, for the test's diagnostic line. */
const answered = new Map<string, number>();

async function send(c: Case): Promise<void> {
  const request = requestOf(c);
  if (!request) return;
  const res = await app.request(request);
  const kind = `${c.route.method} ${String(res.status)}`;
  answered.set(kind, (answered.get(kind) ?? 0) + 1);
  const text = await res.text();
  assert.ok(res.status < 500, `${res.status} for ${describe(c, request)}\n${text.slice(0, 300)}`);
  if (c.route.path.endsWith("/logout") && res.status === 303) browser = await login();
}

// ---- the test ---------------------------------------------------------

test("every console route answers hostile input below 500, and no effect is left without its audit row", async (t) => {
  const started = Date.now();
  const all = routes();
  assert.ok(all.length > 20, `${all.length} routes`);
  // Every route at least once with the same hostile sample, then random cases.
  for (const route of all) {
    for (const sample of ["%00", "9999999999999999999", "%C0%80", "%0D%0A"])
      await send({
        route,
        params: [sample, sample, sample],
        rawPath: true,
        query: { since: "99999-01-01", before: sample, return_to: `/ops${sample}` },
        rawQuery: true,
        form: {
          reason: "\0",
          return_to: "/ops\r\nx: 1",
          confirm: "yes",
          request_key: randomUUID(),
        },
        body: "urlencoded",
        contentType: "application/x-www-form-urlencoded",
        rawBytes: [],
        csrf: true,
        hxCurrentUrl: undefined,
      });
  }
  await fc.assert(
    fc.asyncProperty(caseOf(all), send),
    RUNS > 0
      ? { numRuns: RUNS, includeErrorInReport: true }
      : { numRuns: 100_000, interruptAfterTimeLimit: TIME_LIMIT_MS, includeErrorInReport: true },
  );
  await assertConsistent();
  const total = [...answered.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(
    `${total} requests in ${Math.round((Date.now() - started) / 1000)} s: ${[...answered]
      .sort()
      .map(([k, n]) => `${k}×${n}`)
      .join(", ")}`,
  );
});

/** No effect without its audit row: each change to the seeded state is accounted for. */
async function assertConsistent(): Promise<void> {
  const q = async (sql: string, values: unknown[] = []) =>
    (await pool.query<Record<string, unknown>>(sql, values)).rows;
  assert.deepEqual(
    await q(`select id, action, result from opskit.audit_log
              where result in ('running', 'started: not transactional')`),
    [],
    "no action left half-recorded",
  );
  const unaudited = (sql: string) => q(sql).then((rows) => assert.deepEqual(rows, [], sql));
  // A queue or source paused (or resumed) without the row that says so.
  await unaudited(`select name from opskit.job_queues j where not exists (
      select 1 from opskit.audit_log a where a.action in ('queues.pause', 'queues.resume',
        'inbox.pause_source', 'inbox.resume_source')
        and (a.target = 'queue ' || j.name or a.target = 'source ' || substr(j.name, 7))
        and a.result in ('paused', 'resumed'))`);
  await unaudited(`select name from opskit.inbox_sources s where paused and not exists (
      select 1 from opskit.audit_log a where a.action = 'inbox.pause_source'
        and a.target = 'source ' || s.name and a.result = 'paused')`);
  // A replay record without the action that made it.
  await unaudited(`select r.id from opskit.inbox_replays r where not exists (
      select 1 from opskit.audit_log a where a.action in ('inbox.replay', 'inbox.bulk_replay')
        and a.params->>'replay_id' = r.id::text)`);
  // A seeded job moved on (retried, cancelled, deleted) without a row naming it or a bulk row.
  const moved = await q(
    `select s.id::text from unnest($1::bigint[]) s(id)
      where not exists (select 1 from opskit.jobs j where j.id = s.id and j.run_at > now() + interval '10 minutes')
        and not exists (select 1 from opskit.dead_jobs d where d.id = s.id)`,
    [seeded],
  );
  const bulk = await q(`select 1 from opskit.audit_log where action like 'jobs.bulk_%'
                         and result ~ '^[1-9][0-9]* (retried|cancelled|deleted)$'`);
  for (const { id } of moved as { id: string }[]) {
    const named = await q(
      `select 1 from opskit.audit_log where action in ('jobs.retry', 'jobs.cancel', 'jobs.delete')
          and target = $1 and result in ('retried', 'cancelled', 'deleted')`,
      [`job ${id}`],
    );
    assert.ok(named.length > 0 || bulk.length > 0, `job ${id} changed with no audit row`);
  }
  // Every session was opened by a login on record.
  const sessions = await q("select count(*)::int as n from opskit.console_sessions");
  const logins = await q(
    "select count(*)::int as n from opskit.audit_log where action = 'console.login' and result = 'ok'",
  );
  assert.ok(
    (sessions[0] as { n: number }).n <= (logins[0] as { n: number }).n,
    "a session without its login",
  );
}
