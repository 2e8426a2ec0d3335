import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { lintMigrations } from "./lint-migrations.js";

// The 18 statements of the reference that pass a naive preview and fail at
// deploy (fixtures/deploy-failures/NN-*/, also the catch table of bench/lint.ts):
// each is flagged on the failing statement by the rule named in case.json.
const root = path.join(import.meta.dirname, "fixtures", "deploy-failures");

interface Case {
  /** The statement that fails at deploy: its first and last line. */
  failing: { file: string; line: number; endLine: number };
  opskitRules: string[];
}

const cases = readdirSync(root).sort();

test("there are 18 deploy-failure cases", () => {
  assert.equal(cases.length, 18);
});

for (const name of cases) {
  test(`deploy failure ${name} is flagged on the failing statement`, async () => {
    const dir = path.join(root, name);
    const spec = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8")) as Case;
    const { findings } = await lintMigrations({ dirs: [dir] });
    const hit = findings.find(
      (f) =>
        path.basename(f.file) === spec.failing.file &&
        f.line >= spec.failing.line &&
        f.line <= spec.failing.endLine &&
        spec.opskitRules.includes(f.rule),
    );
    assert.ok(hit, JSON.stringify(findings, null, 1));
    assert.notEqual(hit.severity, "info");
  });
}
