import assert from "node:assert/strict";
import { test } from "node:test";
import { captureOutput, queryRows } from "../../test/helpers.js";
import { PGBOUNCER_MISSING, startPgbouncer } from "../../test/pgbouncer.js";
import { withTestDb } from "../testing/index.js";
import { runCli } from "./index.js";

// `opskit migrate up` and `opskit doctor` with DATABASE_URL through pgbouncer
// in transaction mode: the migration lock (a session advisory lock) goes to
// OPSKIT_DATABASE_DIRECT_URL when it is set, as the service's role migrate does.

async function cli(env: Record<string, string | undefined>, ...args: string[]) {
  const saved = {
    DATABASE_URL: process.env.DATABASE_URL,
    DIRECT: process.env.OPSKIT_DATABASE_DIRECT_URL,
  };
  const set = (name: string, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  set("DATABASE_URL", env.DATABASE_URL);
  set("OPSKIT_DATABASE_DIRECT_URL", env.OPSKIT_DATABASE_DIRECT_URL);
  try {
    const run = captureOutput();
    const code = await runCli(args, run.io);
    return { code, out: run.out.join("\n"), err: run.err.join("\n") };
  } finally {
    set("DATABASE_URL", saved.DATABASE_URL);
    set("OPSKIT_DATABASE_DIRECT_URL", saved.DIRECT);
  }
}

test(
  "through a transaction pooler, migrate up and doctor refuse without OPSKIT_DATABASE_DIRECT_URL and use it when set",
  { skip: PGBOUNCER_MISSING },
  async () => {
    await withTestDb(async (db) => {
      const bouncer = await startPgbouncer(db.url, { poolMode: "transaction", poolSize: 2 });
      const password = decodeURIComponent(new URL(db.url).password);
      try {
        const up = ["migrate", "up", "--dir", "examples/bakery/migrations", "--json"];
        const refused = await cli({ DATABASE_URL: bouncer.url }, ...up);
        assert.equal(refused.code, 1, refused.out + refused.err);
        assert.match(refused.out + refused.err, /POOLER_TRANSACTION_MODE|transaction-mode pooler/);
        assert.ok(!(refused.out + refused.err).includes(password));

        const applied = await cli(
          { DATABASE_URL: bouncer.url, OPSKIT_DATABASE_DIRECT_URL: db.url },
          ...up,
        );
        assert.equal(applied.code, 0, applied.out + applied.err);
        const rows = await queryRows(
          db.url,
          "select 1 from opskit.schema_migrations where source <> 'opskit'",
        );
        assert.ok(rows.length > 0, "the service's migrations were applied");

        const doctor = ["doctor", "--json", "--dir", "examples/bakery/migrations"];
        const pooler = (out: string) =>
          (
            JSON.parse(out) as { findings: { check: string; status: string; detail: string }[] }
          ).findings.find((f) => f.check === "pooler");
        const without = await cli({ DATABASE_URL: bouncer.url }, ...doctor);
        assert.equal(without.code, 1);
        assert.equal(pooler(without.out)?.status, "fail");
        assert.match(pooler(without.out)?.detail ?? "", /OPSKIT_DATABASE_DIRECT_URL/);
        const pooledDirect = await cli(
          {
            DATABASE_URL: bouncer.url,
            OPSKIT_DATABASE_DIRECT_URL: bouncer.url.replace("127.0.0.1", "localhost"),
          },
          ...doctor,
        );
        assert.equal(pooler(pooledDirect.out)?.status, "fail");
        assert.match(pooler(pooledDirect.out)?.detail ?? "", /goes through one too/);
        const withDirect = await cli(
          { DATABASE_URL: bouncer.url, OPSKIT_DATABASE_DIRECT_URL: db.url },
          ...doctor,
        );
        assert.equal(pooler(withDirect.out)?.status, "ok", withDirect.out);
        assert.match(pooler(withDirect.out)?.detail ?? "", /session semantics/);
        assert.ok(!(without.out + pooledDirect.out + withDirect.out).includes(password));
      } finally {
        await bouncer.stop();
      }
    });
  },
);
