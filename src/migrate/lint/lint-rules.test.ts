import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { lintMigrations } from "./lint-migrations.js";
import { renderLintRulesDocs } from "./lint-rules-docs.js";
import { LINT_RULES } from "./rules/all-rules.js";

// Every rule has fixtures/rules/<id>/bad(.sql|/) and ok(.sql|/). In a bad
// fixture, each `-- expect` comment line marks one finding of that rule;
// an ok fixture has none. fixture.json may give { bad: { pgVersion }, ok: … }.
const root = path.join(import.meta.dirname, "fixtures", "rules");

function fixture(rule: string, kind: "bad" | "ok"): string | undefined {
  for (const candidate of [path.join(root, rule, kind), path.join(root, rule, `${kind}.sql`)])
    if (existsSync(candidate)) return candidate;
  return undefined;
}

function sqlTexts(target: string): string[] {
  if (statSync(target).isFile()) return [readFileSync(target, "utf8")];
  return readdirSync(target).map((f) => readFileSync(path.join(target, f), "utf8"));
}

function options(rule: string, kind: "bad" | "ok"): { pgVersion?: string } {
  const file = path.join(root, rule, "fixture.json");
  if (!existsSync(file)) return {};
  return (
    (JSON.parse(readFileSync(file, "utf8")) as Record<string, { pgVersion?: string }>)[kind] ?? {}
  );
}

test("every rule has a bad and an ok fixture, and every fixture folder is a rule", () => {
  const ids = LINT_RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, "rule ids are unique");
  for (const id of ids) {
    assert.match(id, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${id} is kebab-case`);
    assert.ok(fixture(id, "bad"), `${id} has no bad fixture`);
    assert.ok(fixture(id, "ok"), `${id} has no ok fixture`);
  }
  assert.deepEqual(readdirSync(root).sort(), [...ids].sort());
});

test("docs/migrate.md lists every rule with its severity (generated table)", () => {
  const doc = readFileSync(path.join(import.meta.dirname, "../../../docs/migrate.md"), "utf8");
  assert.ok(
    doc.includes(renderLintRulesDocs()),
    "docs/migrate.md is missing the current rule table: paste renderLintRulesDocs() output into its Lint rules section",
  );
});

for (const rule of LINT_RULES) {
  test(`${rule.id}: the bad fixture is flagged where marked, the ok fixture is not`, async () => {
    const bad = fixture(rule.id, "bad")!;
    const expected = sqlTexts(bad).reduce(
      (n, text) => n + (text.match(/^-- expect$/gm)?.length ?? 0),
      0,
    );
    assert.ok(expected > 0, `${bad} marks no finding with -- expect`);
    const badResult = await lintMigrations({ dirs: [bad], ...options(rule.id, "bad") });
    const found = badResult.findings.filter((f) => f.rule === rule.id);
    assert.equal(found.length, expected, JSON.stringify(badResult.findings, null, 1));
    for (const f of found) assert.equal(f.severity, rule.severity);
    const okResult = await lintMigrations({
      dirs: [fixture(rule.id, "ok")!],
      ...options(rule.id, "ok"),
    });
    assert.deepEqual(
      okResult.findings.filter((f) => f.rule === rule.id),
      [],
    );
  });
}
