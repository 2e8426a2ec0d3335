import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { withPool } from "../../test/jobs.js";
import { runCli } from "../cli/index.js";
import { createKeyRing } from "./key-ring.js";
import { createSecretBox } from "./secret-box.js";
import { recordSecretAges } from "./secret-ages.js";
import { registerSecretColumns } from "./sql/secret-columns.js";

test("opskit secrets status exits 1 while values sit under an old key and shows ages; rotate queues one job", async () => {
  await withPool(async (pool, db) => {
    const [k1, k2] = [randomBytes(32).toString("base64"), randomBytes(32).toString("base64")];
    const column = { table: "cli_secrets", column: "value", idColumn: "id" };
    await pool.query("create table cli_secrets (id int primary key, value text)");
    const old = createSecretBox(createKeyRing(`k1:${k1}`));
    await pool.query("insert into cli_secrets values (1, $1), (2, $2)", [
      old.encrypt("a", { ...column, id: 1 }),
      old.encrypt("b", { ...column, id: 2 }),
    ]);
    await registerSecretColumns(pool, [column]);
    await recordSecretAges(pool, [{ name: "OPSKIT_AUTH_JWT_SECRET", values: ["x".repeat(40)] }]);
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    process.env.OPSKIT_SECRET_KEYS = `k2:${k2},k1:${k1}`;
    try {
      const code = await runCli(["secrets", "status", "--database-url", db.url, "--json"], io);
      assert.equal(code, 1);
      const status = JSON.parse(out.pop()!) as {
        primaryKeyId: string;
        totals: unknown;
        ages: { name: string; overdue: boolean }[];
      };
      assert.equal(status.primaryKeyId, "k2");
      assert.deepEqual(status.totals, [{ keyId: "k1", count: 2 }]);
      assert.deepEqual(
        status.ages.map((a) => [a.name, a.overdue]),
        [["OPSKIT_AUTH_JWT_SECRET", false]],
      );
      assert.ok(!JSON.stringify(status).includes("x".repeat(40)));
      assert.equal(await runCli(["secrets", "rotate", "--database-url", db.url], io), 0);
      assert.match(out.pop()!, /rotation queued: job \d+/);
      assert.equal(await runCli(["secrets", "rotate", "--database-url", db.url], io), 0);
      assert.match(out.pop()!, /already queued/);
      assert.equal(await runCli(["secrets", "status", "--bogus"], io), 2);
    } finally {
      delete process.env.OPSKIT_SECRET_KEYS;
    }
  });
});
