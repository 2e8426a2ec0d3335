import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import { createTestDatabase } from "./db.js";

// The toolkit's schema as its migrations build it, checked in as
// sql/schema.sql (pg_dump --schema-only): a migration edited after the fact,
// or a change that alters more than its author meant, shows up as a diff in
// review. Regenerate with: UPDATE_SCHEMA_SNAPSHOT=1 npm run test:only -- test/schema-snapshot.test.ts
const snapshot = path.resolve(import.meta.dirname, "..", "sql", "schema.sql");
const db = await createTestDatabase();
after(() => db.drop());

/** pg_dump's output without what varies by client version or run (comments, SET lines, blank runs). */
function normalise(dump: string): string {
  return (
    dump
      .split("\n")
      .filter(
        (line) =>
          !line.startsWith("--") &&
          !/^SET |^SELECT pg_catalog\.set_config|^\\(un)?restrict /.test(line),
      )
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim() + "\n"
  );
}

test("the toolkit's migrations build exactly the schema in sql/schema.sql", async () => {
  const dump = execFileSync(
    "pg_dump",
    ["--schema-only", "--no-owner", "--no-privileges", "--schema=opskit", `--dbname=${db.url}`],
    { encoding: "utf8" },
  );
  const current = normalise(dump);
  if (process.env.UPDATE_SCHEMA_SNAPSHOT) await writeFile(snapshot, current);
  const expected = await readFile(snapshot, "utf8").catch(() => "");
  assert.equal(
    current,
    expected,
    "the schema differs from sql/schema.sql (see the comment at the top of this test)",
  );
});
