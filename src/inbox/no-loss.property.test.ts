/**
 * The inbox's no-loss property, on generated streams of deliveries through
 * the real HTTP route (opskit's HTTP app on a Node server, signed with the
 * source's secret): every distinct event is stored exactly once, under its
 * exact id, and every other delivery of it is answered as a duplicate.
 *
 * Ids come in every shape a sender may use for `id`: strings of any
 * characters, small and huge integers (past 2^53, and neighbours that round
 * to one double), negative numbers, decimals and exponent forms (`1e3` is
 * its own id, not 1000). Each run's ids carry the run's number in their text,
 * so runs never share a key. `OPSKIT_FUZZ_RUNS` raises the number of streams
 * (see docs/testing.md).
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createHttpApp, startHttpServer, type HttpServer } from "../http/index.js";
import { createLogger } from "../log/index.js";
import { createInbox, hmacVerifier, type Inbox } from "./index.js";

const SECRET = "no-loss-secret";
// OPSKIT_FUZZ_RUNS counts requests (the route fuzz's unit); a stream is about 15 deliveries
// and costs about what 50 fuzz requests do, so the default 1500 is 30 streams.
const RUNS = Math.max(1, Math.ceil(Number(process.env.OPSKIT_FUZZ_RUNS ?? 1500) / 50));
let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;
let http: HttpServer;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 8 });
  inbox = createInbox({
    pool,
    sources: [
      {
        name: "prop",
        verifier: hmacVerifier({
          secrets: [SECRET],
          header: "x-signature",
          dedupeKey: { json: "id" },
        }),
        orderingKey: { json: "id" },
        handler: () => undefined,
      },
    ],
  });
  await inbox.register();
  const app = createHttpApp({
    log: createLogger({ level: "silent" }),
    mounts: [{ path: "/", app: inbox.app }],
  });
  http = await startHttpServer(app, { port: 0, host: "127.0.0.1" });
});
after(async () => {
  await http.close(1_000);
  await inbox.close();
  await pool.end();
  await db.drop();
});

/** An id as JSON text and the key it must be stored under. */
interface Id {
  json: string;
  key: string;
}

/** An id shape; `run` (one per execution of the property) goes into its text so runs never share a key. */
type IdShape = (run: number) => Id;

const digits = (min: number, max: number) =>
  fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));

// A string without NUL or lone surrogates (those are no usable key: stored as rejected, see exact-keys.test.ts).
const storableString = fc
  .string({ unit: "binary", maxLength: 40 })
  .filter((s) => !s.includes("\u0000") && !/\p{Cs}/u.test(s));

// A fixed-width run number first, so `${run}${digits}` of two runs cannot be one text (1|23 and 12|3).
const prefix = (run: number) => `9${String(run).padStart(6, "0")}`;
const number =
  (text: (run: string) => string): IdShape =>
  (run) => ({ json: text(prefix(run)), key: text(prefix(run)) });

const idShape: fc.Arbitrary<{ tag: string; shape: IdShape }> = fc.oneof(
  storableString.map((s) => ({
    tag: `s:${s}`,
    shape: (run: number) => ({ json: JSON.stringify(`${run}:${s}`), key: `${run}:${s}` }),
  })),
  digits(0, 4).map((d) => ({ tag: `i:${d}`, shape: number((run) => `${run}${d}`) })),
  digits(0, 30).map((d) => ({ tag: `n:${d}`, shape: number((run) => `-${run}${d}`) })),
  // Neighbours past 2^53 that round to one double.
  fc.integer({ min: 0, max: 9 }).map((i) => ({
    tag: `h:${i}`,
    shape: number((run) => `${run}82098291194615450${i}`),
  })),
  fc.bigInt({ min: 0n, max: 2n ** 70n }).map((n) => ({
    tag: `b:${n}`,
    shape: number((run) => `${run}${n}`),
  })),
  fc
    .tuple(digits(0, 3), fc.constantFrom("e", "E", "e+", "e-", "E-"), digits(1, 3))
    .map(([d, e, x]) => ({ tag: `e:${d}${e}${x}`, shape: number((run) => `${run}${d}${e}${x}`) })),
  fc.tuple(digits(0, 5), digits(1, 8)).map(([i, f]) => ({
    tag: `d:${i}.${f}`,
    shape: number((run) => `${run}${i}.${f}`),
  })),
);

async function deliver(id: Id, n: number): Promise<{ status: number; duplicate: unknown }> {
  // Odd spacing and a varying field: the bytes differ per delivery, the id does not.
  const body = `{ "n": ${n},  "id" :${id.json}, "pad": "${"x".repeat(n % 7)}" }`;
  const res = await fetch(`${http.url}/webhooks/prop`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-signature": createHmac("sha256", SECRET).update(body).digest("hex"),
    },
  });
  const answer = (await res.json()) as { duplicate?: unknown };
  return { status: res.status, duplicate: answer.duplicate };
}

test("no loss: every distinct event stored exactly once under its exact id, every repeat answered as a duplicate", async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc
        // Unique by the key it makes (an integer and a big integer can write the same digits).
        .uniqueArray(idShape, { minLength: 1, maxLength: 12, selector: (i) => i.shape(0).key })
        .chain((shapes) =>
          fc.tuple(
            fc.constant(shapes),
            // How often each id is delivered, and in what interleaving and batches.
            fc.array(fc.integer({ min: 1, max: 3 }), {
              minLength: shapes.length,
              maxLength: shapes.length,
            }),
            fc.integer({ min: 1, max: 6 }),
            fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
              minLength: shapes.length * 3,
              maxLength: shapes.length * 3,
            }),
          ),
        ),
      async ([shapes, repeats, batch, weights]) => {
        run++;
        const ids = shapes.map((s) => s.shape(run));
        const deliveries = ids.flatMap((id, i) => Array.from({ length: repeats[i]! }, () => id));
        const shuffled = deliveries
          .map((id, i) => ({ id, w: weights[i]! }))
          .sort((a, b) => a.w - b.w)
          .map((d) => d.id);
        const answers: { key: string; status: number; duplicate: unknown }[] = [];
        for (let i = 0; i < shuffled.length; i += batch) {
          const chunk = shuffled.slice(i, i + batch);
          const got = await Promise.all(chunk.map((id, j) => deliver(id, i + j)));
          got.forEach((a, j) => answers.push({ key: chunk[j]!.key, ...a }));
        }
        for (const a of answers) assert.equal(a.status, 200, `${a.key}: ${a.status}`);
        for (const id of ids) {
          const mine = answers.filter((a) => a.key === id.key);
          assert.equal(
            mine.filter((a) => a.duplicate === false).length,
            1,
            `${id.key} stored once`,
          );
          assert.equal(
            mine.filter((a) => a.duplicate === true).length,
            mine.length - 1,
            `${id.key}: the rest are duplicates`,
          );
        }
        const { rows } = await pool.query<{ dedupe_key: string; n: number }>(
          `select dedupe_key, count(*)::int as n from opskit.inbox_events
            where source = 'prop' and dedupe_key = any($1) group by dedupe_key`,
          [ids.map((i) => i.key)],
        );
        assert.deepEqual(
          rows.map((r) => [r.dedupe_key, r.n]).sort(),
          ids.map((i) => [i.key, 1]).sort(),
          "each distinct id is one row, under its exact text",
        );
      },
    ),
    { numRuns: RUNS },
  );
});
