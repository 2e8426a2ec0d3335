/**
 * The operator's surfaces over real state: `opskit outbox …` (--json, exit
 * codes 0/1/2, hostile arguments refused with a clear message) and the
 * console screen (endpoints, deliveries, one event; pause, resume, replay
 * audited; hostile paths and forms answered 4xx, never 500).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { captureOutput } from "../../test/helpers.js";
import { consoleClient, mountAt } from "../../test/console.js";
import { count, withPool } from "../../test/jobs.js";
import { runCli } from "../cli/index.js";
import { createConsole } from "../console/index.js";
import { withTransaction } from "../db/index.js";
import { createOutbox } from "./create-outbox.js";
import { defineOutboxHandler } from "./define-outbox-handler.js";
import { outboxScreen } from "./outbox-screen.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;

test("opskit outbox: list, show, endpoints, pause, resume, replay; hostile arguments exit 2", async () => {
  await withPool(async (pool, db) => {
    const url = ["--database-url", db.url];
    const run = async (...args: string[]) => {
      const o = captureOutput();
      const code = await runCli(["outbox", ...args, ...url], o.io);
      return { code, out: o.out.join("\n"), err: o.err.join("\n") };
    };
    process.env.OUTBOX_TEST_SECRET = SECRET;
    const added = await run(
      "endpoints",
      "add",
      "crm",
      "--url",
      "https://crm.example/hooks",
      "--secret-env",
      "OUTBOX_TEST_SECRET",
      "--types",
      "order.*",
      "--json",
    );
    assert.equal(added.code, 0, added.err);
    assert.equal(added.out.includes(SECRET.slice(6)), false, "the secret is never printed");
    const outbox = createOutbox({
      pool,
      handlers: [defineOutboxHandler({ name: "h", handle: () => undefined })],
    });
    const [id] = (
      await withTransaction(pool, (tx) =>
        outbox.publishMany(tx, [
          { aggregateType: "order", aggregateId: "1", type: "order.created", payload: { n: 1 } },
        ]),
      )
    ).ids;
    await outbox.relayOnce();
    await pool.query(
      "update opskit.outbox_deliveries set state = 'dead', last_error = 'boom' where consumer = 'handler:h'",
    );

    const listed = await run("list", "--json");
    assert.equal(listed.code, 1, "a dead delivery is a finding");
    const data = JSON.parse(listed.out) as { dead: number; deliveries: { consumer: string }[] };
    assert.equal(data.dead, 1);
    assert.deepEqual(data.deliveries.map((d) => d.consumer).sort(), ["endpoint:crm", "handler:h"]);

    const shown = await run("show", id!, "--json");
    assert.equal(shown.code, 0);
    assert.equal((JSON.parse(shown.out) as { event: { id: string } }).event.id, id);

    assert.equal((await run("pause", "crm", "--reason", "maintenance")).code, 0);
    const eps = await run("endpoints", "--json");
    assert.equal(eps.code, 0);
    assert.equal(
      (JSON.parse(eps.out) as { endpoints: { state: string }[] }).endpoints[0]?.state,
      "paused",
    );
    const resumed = await run("resume", "crm", "--json");
    assert.deepEqual(JSON.parse(resumed.out), { endpoint: "crm", state: "active", lines: 1 });

    const replayed = await run("replay", "--consumer", "handler:h", "--json");
    assert.equal(replayed.code, 0);
    assert.deepEqual(JSON.parse(replayed.out), { deliveries: 1 });
    assert.equal(
      (await run("replay", "--consumer", "handler:h")).code,
      1,
      "nothing left to replay",
    );

    // Hostile or wrong arguments: a clear message, exit 2, nothing changed.
    for (const args of [
      ["show", "1; drop table opskit.outbox"],
      ["show"],
      ["replay"],
      ["replay", "--delivery", "1 or 1=1"],
      ["replay", "--event", "nope"],
      ["replay", "--consumer", "x", "--state", "pending"],
      ["replay", "--consumer", "x", "--since", "yesterday"],
      ["list", "--state", "everything"],
      ["list", "--limit", "-1"],
      ["pause", "Robert'); --"],
      [
        "endpoints",
        "add",
        "x",
        "--url",
        "javascript:alert(1)",
        "--secret-env",
        "OUTBOX_TEST_SECRET",
      ],
      ["endpoints", "add", "x", "--url", "https://a.example", "--secret-env", "NOT_SET_ANYWHERE"],
      ["endpoints", "explode"],
      ["list", "--bogus"],
    ]) {
      const r = await run(...args);
      assert.equal(r.code, 2, `${args.join(" ")} → ${r.code} ${r.err}`);
      assert.ok(r.err.length > 0);
    }
    const missing = await run("pause", "nobody");
    assert.equal(missing.code, 1);
    assert.match(missing.err, /No outbox endpoint "nobody"/);
    assert.equal(await count(pool, "select 1 from opskit.outbox"), 1);
    assert.equal(await count(pool, "select 1 from opskit.outbox_endpoints"), 1);
  });
});

test("the console's outbox screen: endpoints, deliveries, an event; actions audited; hostile input never a 500", async () => {
  await withPool(async (pool) => {
    const ADMIN = "a".repeat(32);
    const VIEWER = "c".repeat(32);
    const outbox = createOutbox({ pool });
    await outbox.admin.upsertEndpoint({
      name: "crm",
      url: "https://crm.example/h",
      secret: SECRET,
    });
    const [id] = (
      await withTransaction(pool, (tx) =>
        outbox.publishMany(tx, [
          { aggregateType: "order", aggregateId: "1", type: "order.created" },
        ]),
      )
    ).ids;
    await outbox.relayOnce();
    await pool.query("update opskit.outbox_deliveries set state = 'dead', last_error = 'HTTP 500'");
    const ops = createConsole({
      pool,
      development: false,
      credentials: { adminTokens: [ADMIN], viewerTokens: [VIEWER] },
      sampleIntervalMs: 0,
      screens: [outboxScreen],
    });
    try {
      const admin = consoleClient(mountAt(ops));
      assert.equal((await admin.loginWithToken(ADMIN)).status, 303);
      const page = await admin.get("/ops/outbox");
      assert.equal(page.status, 200);
      assert.match(page.text, /<h1>Outbox<\/h1>/);
      assert.match(page.text, /data-endpoint="crm"/);
      assert.equal(page.text.includes(SECRET.slice(6)), false, "no secret on the page");
      assert.match(page.text, /data-action="outbox.replay"/);
      for (const m of page.text.matchAll(/hx-get="(\/ops\/panels\/outbox-[^"]+)"/g))
        assert.equal((await admin.get(m[1]!)).status, 200, m[1]);
      const event = await admin.get(`/ops/outbox/events/${id}`);
      assert.equal(event.status, 200, event.text.slice(0, 3000));
      assert.match(event.text, /order.created/);

      const paused = await admin.post("/ops/outbox/endpoints/crm/pause", {});
      assert.equal(paused.status, 303);
      assert.equal((await outbox.admin.endpoint("crm")).state, "paused");
      await admin.get("/ops/outbox");
      assert.equal((await admin.post("/ops/outbox/endpoints/crm/resume", {})).status, 303);
      assert.equal((await outbox.admin.endpoint("crm")).state, "active");
      const [delivery] = await outbox.admin.listDeliveries();
      await admin.get("/ops/outbox");
      assert.equal(
        (await admin.post(`/ops/outbox/deliveries/${delivery!.id}/replay`, {})).status,
        303,
      );
      assert.equal((await outbox.admin.listDeliveries())[0]?.state, "pending");
      const audited = await pool.query<{ action: string }>(
        "select action from opskit.audit_log where action like 'outbox.%' order by id",
      );
      assert.deepEqual(
        audited.rows.map((r) => r.action),
        ["outbox.pause", "outbox.resume", "outbox.replay"],
      );

      // Hostile input: 4xx, never a 500.
      for (const path of [
        "/ops/outbox/events/00000000-0000-0000-0000-00000000000g",
        "/ops/outbox/events/------------------------------------",
        "/ops/outbox/events/00000000-0000-4000-8000-000000000000",
        "/ops/outbox/events/%27%3B%20drop",
      ]) {
        const r = await admin.get(path);
        assert.ok(r.status >= 400 && r.status < 500, `${path} → ${r.status}`);
      }
      await admin.get("/ops/outbox");
      for (const path of [
        "/ops/outbox/endpoints/nobody/pause",
        "/ops/outbox/endpoints/..%2F..%2Fetc/pause",
        "/ops/outbox/deliveries/999999999999/replay",
        "/ops/outbox/deliveries/1e9/replay",
      ]) {
        const r = await admin.post(path, {});
        assert.ok(r.status < 500, `${path} → ${r.status}`);
      }
      const viewer = consoleClient(mountAt(ops));
      await viewer.loginWithToken(VIEWER);
      const vpage = await viewer.get("/ops/outbox");
      assert.doesNotMatch(vpage.text, /data-action="outbox\./, "a viewer gets no buttons");
      assert.equal((await viewer.post("/ops/outbox/endpoints/crm/pause", {})).status, 403);
      assert.equal((await outbox.admin.endpoint("crm")).state, "active");
    } finally {
      await ops.close();
    }
  });
});
