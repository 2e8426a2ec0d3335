import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { captureOutput } from "../../test/helpers.js";
import { runCli } from "./index.js";

// A real repository: main has one applied migration; a branch adds two files and a Prisma folder.
let repo: string;
const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const write = async (file: string, text: string) => {
  await mkdir(path.dirname(path.join(repo, file)), { recursive: true });
  await writeFile(path.join(repo, file), text);
};
const commitAll = (message: string) => {
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message);
};

before(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), "opskit-count-new-"));
  git("init", "-q", "-b", "main");
  await write("db/migrations/0001_orders.sql", "create table orders (id int);");
  await write("README.md", "x");
  commitAll("base");
  git("checkout", "-q", "-b", "one");
  await write("db/migrations/0002_stock.sql", "create table stock (id int);");
  await write("db/migrations/0001_orders.sql", "create table orders (id bigint);"); // modified, not new
  await write("db/migrations/notes.txt", "not a migration");
  await write("db/seeds/0001_seed.sql", "outside the folder");
  commitAll("one migration");
  git("checkout", "-q", "-b", "three");
  await write("db/migrations/0003_prices.sql", "create table prices (id int);");
  await write("db/migrations/20260101_add_users/migration.sql", "create table users (id int);");
  commitAll("two more");
  // main moves on after the branches left it: its new file is not the branch's.
  git("checkout", "-q", "main");
  await write("db/migrations/0002_main_only.sql", "select 1;");
  commitAll("main moves on");
  git("checkout", "-q", "three");
});
after(() => rm(repo, { recursive: true, force: true }));

const dir = () => path.join(repo, "db/migrations");

test("over the limit: exit 1 naming every new migration, a GitHub annotation with --format github", async () => {
  const { out, err, io } = captureOutput();
  const code = await runCli(
    ["migrate", "count-new", "--dir", dir(), "--base", "main", "--format", "github"],
    io,
  );
  assert.equal(code, 1);
  assert.match(out.join("\n"), /^::error title=One migration per deploy::3 new migration\(s\)/);
  const text = err.join("\n");
  for (const name of ["0002_stock.sql", "0003_prices.sql", "20260101_add_users"])
    assert.match(text, new RegExp(name));
  assert.doesNotMatch(text, /0001_orders|notes\.txt|main_only|0001_seed/);
});

test("--allow-more (the override label) turns the failure into a notice; --json lists them", async () => {
  const { out, io } = captureOutput();
  assert.equal(
    await runCli(["migrate", "count-new", "--dir", dir(), "--base", "main", "--allow-more"], io),
    0,
  );
  assert.match(out.join("\n"), /allowed by --allow-more/);
  const json = captureOutput();
  assert.equal(
    await runCli(
      ["migrate", "count-new", "--dir", dir(), "--base", "main", "--max", "3", "--json"],
      json.io,
    ),
    0,
  );
  assert.deepEqual(JSON.parse(json.out[0]!), {
    ok: true,
    max: 3,
    allowed: false,
    added: ["0002_stock.sql", "0003_prices.sql", "20260101_add_users"],
  });
});

test("one new migration passes, counted from the merge base (main's own new file is not counted)", async () => {
  git("checkout", "-q", "one");
  try {
    const { out, io } = captureOutput();
    assert.equal(await runCli(["migrate", "count-new", "--dir", dir(), "--base", "main"], io), 0);
    assert.match(out.join("\n"), /1 new migration\(s\)[^]*0002_stock\.sql/);
  } finally {
    git("checkout", "-q", "three");
  }
});

test("usage errors exit 2: unknown base, missing folder, bad flags", async () => {
  const run = async (...args: string[]) => {
    const { err, io } = captureOutput();
    return { code: await runCli(["migrate", "count-new", ...args], io), err: err.join("\n") };
  };
  const unknown = await run("--dir", dir(), "--base", "origin/nope");
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /origin\/nope/);
  const missing = await run("--dir", path.join(repo, "nope"), "--base", "main");
  assert.equal(missing.code, 2);
  assert.match(missing.err, /no such folder/);
  assert.equal((await run("--base", "main")).code, 2);
  assert.equal((await run("--dir", dir())).code, 2);
  assert.equal((await run("--dir", dir(), "--base", "main", "--max", "-1")).code, 2);
  assert.equal((await run("--dir", dir(), "--base", "main", "--format", "sarif")).code, 2);
});
