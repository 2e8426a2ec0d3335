import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";

// The built CLI and the demo's manifest, as an operator runs them.
const root = path.resolve(import.meta.dirname, "..");
const cli = path.join(root, "dist/src/cli/main.js");
const manifest = path.join(root, "dist/examples/bakery/manifest.js");
const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-cli-"));
after(() => rm(tmp, { recursive: true, force: true }));

function opskit(args: string[], env: Record<string, string> = {}, cwd = root) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    encoding: "utf8",
  });
}

test("the committed .env.example is what the demo's manifest generates", () => {
  const run = opskit(["config", "check", "--manifest", manifest]);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /\.env\.example: up to date/);
});

test("config check: a drifted .env.example exits 1 and says how to fix it", async () => {
  const file = path.join(tmp, "drifted.env");
  await writeFile(
    file,
    (await readFile(path.join(root, ".env.example"), "utf8")).replace(/^PORT=.*\n/m, ""),
  );
  const run = opskit(["config", "check", "--manifest", manifest, "--env-example", file]);
  assert.equal(run.status, 1);
  assert.match(run.stdout, /PORT/);
  assert.match(run.stdout, /opskit config example/);
});

test("config check: an invalid environment exits 2 with the report, secrets not echoed", () => {
  const token = "tok-5f4e3d2c1b";
  const run = opskit(["config", "check", "--manifest", manifest, "--json"], {
    DATABASE_URL: `postgres://u:${token}@h:notaport/db`,
    LOG_LEVEL: "loud",
    BAKERY_STORESS: "x",
  });
  assert.equal(run.status, 2);
  assert.doesNotMatch(run.stdout + run.stderr, new RegExp(token));
  const out = JSON.parse(run.stdout) as { ok: boolean };
  assert.equal(out.ok, false);
  for (const name of ["DATABASE_URL", "LOG_LEVEL", "BAKERY_STORESS"])
    assert.match(run.stdout, new RegExp(name));
});

test("config example is byte-for-byte reproducible; config docs prints a Markdown table", async () => {
  const a = opskit(["config", "example", "--manifest", manifest, "--out", path.join(tmp, "a.env")]);
  const b = opskit(["config", "example", "--manifest", manifest, "--out", path.join(tmp, "b.env")]);
  assert.equal(a.status, 0);
  assert.equal(b.status, 0);
  const [ta, tb] = await Promise.all([
    readFile(path.join(tmp, "a.env")),
    readFile(path.join(tmp, "b.env")),
  ]);
  assert.ok(ta.equals(tb));
  assert.ok(ta.equals(await readFile(path.join(root, ".env.example"))));
  const docs = opskit(["config", "docs", "--manifest", manifest]);
  assert.equal(docs.status, 0);
  assert.match(docs.stdout, /^\| .*BAKERY_STORES/m);
});

test("usage errors exit 2; every command has --help", () => {
  assert.equal(opskit(["config", "check", "--manifest", "/nope.js"]).status, 2);
  assert.equal(opskit(["config", "check", "--bogus"]).status, 2);
  for (const cmd of [
    ["config", "check"],
    ["config", "example"],
    ["config", "docs"],
    ["health", "wait"],
    ["doctor"],
    ["migrate", "up"],
    ["migrate", "status"],
  ]) {
    const run = opskit([...cmd, "--help"]);
    assert.equal(run.status, 0, cmd.join(" "));
    assert.match(run.stdout, /^opskit /);
  }
});
