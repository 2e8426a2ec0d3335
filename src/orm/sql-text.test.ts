import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { returnsRows, scanSql, splitAtParameters, statementOf, toKnexRaw } from "./sql-text.js";

const params = (text: string) =>
  scanSql(text)
    .filter((p) => p.kind === "param")
    .map((p) => p.text);

test("scanSql finds $n only in code: not in strings, identifiers, comments or dollar quotes", () => {
  assert.deepEqual(params("select $1, $2::int, a$3, x$4y"), ["$1", "$2"]);
  assert.deepEqual(params("select '$1', 'it''s $2', E'\\'$3', $4"), ["$4"]);
  assert.deepEqual(params(`select "$1", "a""$2", $3`), ["$3"]);
  assert.deepEqual(params("select 1 -- $1\n, $2 /* $3 /* $4 */ $5 */ , $6"), ["$2", "$6"]);
  assert.deepEqual(params("select $$ $1 $$, $tag$ $2 $x$ $tag$, $3"), ["$3"]);
  // The parts put back together are the statement, whatever it holds.
  const text = "select E'\\\\', 'a', $10 -- c\n from t where x ? 'k' and y = $1";
  assert.equal(
    scanSql(text)
      .map((p) => p.text)
      .join(""),
    text,
  );
});

test("splitAtParameters: one chunk more than parameters, a repeated $n repeats its value", () => {
  const { chunks, params: values } = splitAtParameters("select $2, $1, $2 where '$1' = $1", [
    "a",
    "b",
  ]);
  assert.deepEqual(chunks, ["select ", ", ", ", ", " where '$1' = ", ""]);
  assert.deepEqual(values, ["b", "a", "b", "a"]);
  assert.throws(() => splitAtParameters("select $3", ["a"]), /uses \$3 but 1 value/);
});

test("toKnexRaw: $n become ? bindings, literal ? are escaped, and what Knex sends is checked", () => {
  assert.deepEqual(
    toKnexRaw("select $1 ?| array[$2], '?' as q, data ?$1 from t -- ??", ["k", "v"]),
    {
      sql: "select ? \\?| array[?], '\\?' as q, data \\? ? from t -- \\?\\?",
      bindings: ["k", "v", "k"],
    },
  );
  // A backslash right before a literal ? cannot pass through Knex's renumbering.
  assert.throws(() => toKnexRaw("select E'\\\\?' as x", []), /backslash/);
});

test("returnsRows: queries and changes with a top-level returning answer rows", () => {
  const cases: [string, boolean][] = [
    ["select 1", true],
    ["  (select 1) union (select 2)", true],
    ["values (1)", true],
    ["insert into t values (1)", false],
    ["insert into t values (1) returning id", true],
    ["INSERT INTO t SELECT 1 RETURNING *", true],
    ["update t set x = 1", false],
    ["delete from t where id in (select id from u returning)", false],
    ["with a as (update t set x = 1 returning id) select * from a", true],
    ["with a as (select 1) update t set x = 1", false],
    ["with a as (select 1) delete from t returning id", true],
    ["with recursive a(n) as (values (1)) select n from a", true],
    ["-- returning\nupdate t set note = 'returning'", false],
    ["lock table t", false],
    ["", false],
  ];
  for (const [text, expected] of cases) assert.equal(returnsRows(text), expected, text);
});

test("statementOf takes text or a config, and sends undefined as null (as pg does)", () => {
  assert.deepEqual(statementOf("select $1", [undefined]), { text: "select $1", values: [null] });
  assert.deepEqual(statementOf({ text: "select $1", values: [1], name: "n" }), {
    text: "select $1",
    values: [1],
  });
  assert.deepEqual(statementOf("select 1"), { text: "select 1", values: [] });
});

test("property: splitting at parameters and numbering them again gives back the statement", () => {
  const piece = fc.oneof(
    fc.constantFrom("select ", " from t ", ", ", "::int", " ? ", "?|", "(", ")", "a$b", " x "),
    fc.string({ maxLength: 6 }).map((s) => `'${s.replaceAll("'", "''")}'`),
    fc.string({ maxLength: 6 }).map((s) => `"${s.replaceAll('"', '""')}"`),
    fc.string({ maxLength: 6 }).map((s) => `/* ${s.replaceAll("*/", "")} */`),
    fc.string({ maxLength: 6 }).map((s) => `$q$${s.replaceAll("$q$", "")}$q$`),
    fc.string({ maxLength: 6 }).map((s) => `-- ${s.replaceAll("\n", "")}\n`),
    fc.constant("$P"),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      let n = 0;
      // Parameters in order of appearance: $1, $2, … (spaces keep pieces from running into one token).
      const text = pieces.map((p) => (p === "$P" ? `$${++n}` : p)).join(" ");
      const values = Array.from({ length: n }, (_, k) => k);
      const { chunks, params: ordered } = splitAtParameters(text, values);
      assert.deepEqual(ordered, values);
      assert.equal(chunks.map((c, k) => (k < n ? `${c}$${k + 1}` : c)).join(""), text);
      // toKnexRaw checks its output against Knex's rewriting; it refuses only a backslash before a ?.
      if (!text.includes("\\?")) assert.deepEqual(toKnexRaw(text, values).bindings, values);
      else assert.throws(() => toKnexRaw(text, values), /backslash/);
    }),
  );
});
