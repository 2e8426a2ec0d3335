import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { createTestDatabase } from "../../test/db.js";
import { migrate } from "../migrate/index.js";
import { runCli } from "./run-cli.js";

const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-lint-cli-"));
after(() => rm(tmp, { recursive: true, force: true }));

async function dir(name: string, files: Record<string, string>): Promise<string> {
  const d = path.join(tmp, name);
  for (const [file, sql] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(d, file)), { recursive: true });
    await writeFile(path.join(d, file), sql);
  }
  return d;
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const bad = await dir("bad", {
  "0001_init.sql": "create table t (id bigint primary key, v text);\n",
  "0002_change.sql":
    '-- opskit:statement-timeout 1min\nalter table t drop column v;\nalter table t rename to "t, 100%: new\nname";\n',
});

test("exit codes: 1 with an error finding, 0 without, 2 on usage errors", async () => {
  assert.equal((await cli("migrate", "lint", bad)).code, 1);
  const clean = await dir("clean", {
    "0001_init.sql": "create table t (id bigint primary key);\n",
  });
  const ok = await cli("migrate", "lint", clean);
  assert.equal(ok.code, 0);
  assert.match(ok.out, /no findings in 1 file/);
  assert.equal((await cli("migrate", "lint")).code, 2);
  assert.equal((await cli("migrate", "lint", clean, "--format", "xml")).code, 2);
  assert.equal((await cli("migrate", "lint", clean, "--pg-version", "fifteen")).code, 2);
  assert.equal((await cli("migrate", "lint", path.join(tmp, "missing"))).code, 2);
  const syntax = await dir("syntax", { "0001_x.sql": "create tabel x (id int);\n" });
  const broken = await cli("migrate", "lint", syntax, "--format", "json");
  assert.equal(broken.code, 1);
  assert.equal(
    (JSON.parse(broken.out) as { findings: { rule: string }[] }).findings[0]?.rule,
    "syntax-error",
  );
});

test("json: exactly file, line, column, rule, severity, message per finding", async () => {
  const { out } = await cli("migrate", "lint", bad, "--format", "json");
  const { findings } = JSON.parse(out) as { findings: Record<string, unknown>[] };
  assert.ok(findings.length >= 2);
  for (const f of findings)
    assert.deepEqual(Object.keys(f), ["file", "line", "column", "rule", "severity", "message"]);
  assert.deepEqual(
    findings.map((f) => [f.rule, f.line, f.column]),
    [
      ["ban-drop-column", 2, 1],
      ["renaming-table", 3, 1],
    ],
  );
});

test("sarif validates against the SARIF 2.1.0 schema", async () => {
  const schema = JSON.parse(
    await readFile(
      path.join(import.meta.dirname, "../migrate/lint/fixtures/sarif-schema-2.1.0-rtm.5.json"),
      "utf8",
    ),
  ) as object;
  // Both are CommonJS modules whose `default` is the export. The schema's
  // `language` pattern ("…{2}]?$") is only valid without the regexp u flag.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  const { out } = await cli("migrate", "lint", bad, "--format", "sarif");
  const log = JSON.parse(out) as {
    version: string;
    runs: { results: { ruleId: string; level: string }[] }[];
  };
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 1));
  assert.equal(log.version, "2.1.0");
  assert.deepEqual(
    log.runs[0]?.results.map((r) => [r.ruleId, r.level]),
    [
      ["ban-drop-column", "error"],
      ["renaming-table", "warning"],
    ],
  );
  // The schema check is not vacuous: a result without a message is refused.
  delete (log.runs[0]?.results[0] as { message?: unknown }).message;
  assert.equal(validate(log), false);
});

test("github: one workflow command per finding, properties and data escaped", async () => {
  const { out } = await cli("migrate", "lint", bad, "--format", "github");
  const lines = out.split("\n");
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    /^::error file=[^,]+0002_change\.sql,line=2,col=1,title=ban-drop-column::/,
  );
  assert.match(lines[1]!, /^::warning file=.*,line=3,col=1,title=renaming-table::/);
  assert.match(lines[1]!, /100%25: new%0Aname/, "data escapes % and newlines");
});

test("--database-url: files applied on the server are not new, unapplied ones are", async () => {
  const db = await createTestDatabase();
  try {
    const d = await dir("db", {
      "0001_init.sql": "create table t (id bigint primary key, v text);\n",
    });
    await writeFile(path.join(d, "0002_index.sql"), "create index t_v_idx on t (v);\n");
    const before = await cli("migrate", "lint", d, "--database-url", db.url, "--format", "json");
    assert.equal(before.code, 0, before.out);
    await rm(path.join(d, "0002_index.sql"));
    const applied = await migrate({
      connectionString: db.url,
      sources: [{ source: "app", dir: d }],
    });
    assert.equal(applied.error, undefined);
    await writeFile(path.join(d, "0002_index.sql"), "create index t_v_idx on t (v);\n");
    const after = await cli("migrate", "lint", d, "--database-url", db.url, "--format", "json");
    assert.equal(after.code, 1);
    assert.match(after.out, /require-concurrent-index-creation/);
  } finally {
    await db.drop();
  }
});
