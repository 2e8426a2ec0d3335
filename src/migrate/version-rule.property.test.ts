import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { createTestDatabase } from "../../test/db.js";
import { lintMigrations, migrate, versionOf } from "./index.js";
import { compareNames, duplicateVersions } from "./migration-versions.js";

const db = await createTestDatabase({ empty: true });
const root = await mkdtemp(path.join(os.tmpdir(), "opskit-version-rule-"));
after(async () => {
  await db.drop();
  await rm(root, { recursive: true, force: true });
});

// Name parts that meet at the rule's edges: same-day letters, a letter that
// is not a suffix (two letters, uppercase, a digit after it), grouped
// versions, no version at all.
const prefix = fc.constantFrom(
  "0001",
  "0002",
  "20240312",
  "20240312a",
  "20240312b",
  "20240312ab",
  "20240312A",
  "20240312a1",
  "20240312_0900",
  "20240312-0900",
  "20240313",
  "v1",
);
const tail = fc.constantFrom("_x", "_y", "-z", "_add_orders", "");
const names = fc.uniqueArray(
  fc.tuple(prefix, tail).map(([p, t]) => `${p}${t}.sql`),
  { minLength: 1, maxLength: 5 },
);

let run = 0;

test("lint and the runner agree on every set of names: same order, refused exactly when lint errs", async () => {
  await fc.assert(
    fc.asyncProperty(names, async (list) => {
      const dir = path.join(root, `set${++run}`);
      await mkdir(dir);
      for (const name of list) await writeFile(path.join(dir, name), "select 1;\n");
      const lint = await lintMigrations({ dirs: [dir] });
      const lintRefuses = lint.findings.some((f) => f.rule === "duplicate-version");
      const outcome = await migrate({
        connectionString: db.url,
        sources: [{ source: `set${run}`, dir }],
        checkPooler: false,
      });
      const runnerRefuses = outcome.error?.code === "MIGRATION_DUPLICATE_VERSION";
      assert.equal(
        lintRefuses,
        runnerRefuses,
        `${list.join(", ")}: lint ${lintRefuses ? "refuses" : "passes"}, runner ${outcome.error?.message ?? "applies"}`,
      );
      if (!runnerRefuses) {
        assert.equal(outcome.error, undefined);
        // The runner applied them in the order lint read them.
        assert.deepEqual(
          outcome.results.map((r) => r.name),
          lint.files.map((f) => f.name),
        );
      }
      assert.equal(runnerRefuses, duplicateVersions(list).length > 0);
    }),
    { numRuns: 40 },
  );
});

test("same-day letter versions are distinct and ordered by the letter; a non-suffix letter is not a version", () => {
  assert.equal(versionOf("20240312a_add_orders"), "20240312a");
  assert.equal(versionOf("20240312b_backfill_orders"), "20240312b");
  assert.equal(versionOf("20240312a"), "20240312a");
  assert.equal(versionOf("20240312ab_x"), "20240312");
  assert.equal(versionOf("20240312A_x"), "20240312");
  assert.equal(versionOf("20240101_0900_accounts.sql"), "20240101_0900");
  assert.equal(versionOf("20240101120000_init"), "20240101120000");
  assert.equal(versionOf("init.sql"), undefined);
  assert.deepEqual(duplicateVersions(["20240312a_x.sql", "20240312b_y.sql", "20240312_z.sql"]), []);
  assert.deepEqual(["20240312b_y", "20240312_z", "20240312a_x"].sort(compareNames), [
    "20240312_z",
    "20240312a_x",
    "20240312b_y",
  ]);
});

test("a fresh database runs same-day letter versions in letter order (b uses what a creates)", async () => {
  const dir = path.join(root, "letters");
  await mkdir(dir);
  await writeFile(
    path.join(dir, "20240312b_backfill_orders.sql"),
    "insert into letter_orders (state) values ('new');",
  );
  await writeFile(
    path.join(dir, "20240312a_add_orders.sql"),
    "create table letter_orders (state letter_state);",
  );
  await writeFile(
    path.join(dir, "20240312_types.sql"),
    "create type letter_state as enum ('new');",
  );
  const lint = await lintMigrations({ dirs: [dir] });
  assert.deepEqual(
    lint.findings.filter((f) => f.severity === "error"),
    [],
  );
  const { error, results } = await migrate({
    connectionString: db.url,
    sources: [{ source: "letters", dir }],
  });
  assert.equal(error, undefined);
  assert.deepEqual(
    results.map((r) => r.name),
    ["20240312_types.sql", "20240312a_add_orders.sql", "20240312b_backfill_orders.sql"],
  );
});
