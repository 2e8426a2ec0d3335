import assert from "node:assert/strict";
import { test } from "node:test";
import type { PoolClient } from "../db/index.js";
import { waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";
import { claimJobs, claimLimitedJobs } from "./sql/claim-jobs.js";

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * The plans Postgres actually ran for the statements `fn` sends on `client`,
 * nested ones included (the claim function's): auto_explain, loaded in this
 * session only, sends each as a NOTICE.
 */
async function plansOf(client: PoolClient, fn: () => Promise<unknown>): Promise<PlanNode[]> {
  const plans: PlanNode[] = [];
  const onNotice = (n: { message?: string }) => {
    const m = /^duration: [\d.]+ ms {2}plan:\n([\s\S]*)$/.exec(n.message ?? "");
    if (m) plans.push((JSON.parse(m[1]!) as { Plan: PlanNode }).Plan);
  };
  await client.query("load 'auto_explain'");
  await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on;
    set auto_explain.log_level = notice; set auto_explain.log_format = json`);
  client.on("notice", onNotice);
  try {
    await fn();
  } finally {
    client.off("notice", onNotice);
    await client.query("set auto_explain.log_min_duration = -1");
  }
  return plans;
}

test("under statistics taken while the table was empty, a claim reads the claim index in order and sorts nothing", async () => {
  await withPool(async (pool) => {
    const noop = defineTask("noop", async () => undefined);
    const queue = createQueue({ pool, tasks: [noop] });
    await pool.query("alter table opskit.jobs set (autovacuum_enabled = off)");
    await pool.query("vacuum analyze opskit.jobs");
    await queue.addMany(
      Array.from({ length: 20_000 }, (_, i) => ({ task: noop, payload: {}, priority: i % 7 })),
    );
    const client = await pool.connect();
    try {
      // The statistics are the empty table's (what a worker starting after a burst meets):
      // the claim's query written inline is planned as a sort of every ready job.
      const inline = (
        await client.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
          `explain (format json) select j.id from opskit.jobs j
            where j.state = 'ready' and j.queue = any('{default}') and j.task = any('{noop}')
            order by j.priority, j.run_at, j.id limit 200 for update skip locked`,
        )
      ).rows[0]!["QUERY PLAN"][0].Plan;
      assert.ok(
        nodes(inline).some((n) => n["Node Type"] === "Sort"),
        "the statistics are stale enough to mislead an inline query",
      );

      for (const prepared of [true, false]) {
        let claimed: Awaited<ReturnType<typeof claimJobs>> = [];
        const plans = await plansOf(client, async () => {
          claimed = await claimJobs(client, {
            worker: "w",
            queues: ["default"],
            tasks: ["noop"],
            limit: 200,
            leaseMs: 30_000,
            prepared,
          });
        });
        assert.equal(claimed.length, 200);
        // Claim order: priority 0 first, lowest ids first.
        const ids = claimed.map((j) => BigInt(j.id));
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => (a < b ? -1 : 1)),
        );
        const update = plans.find((p) => p["Node Type"] === "ModifyTable");
        assert.ok(update, "auto_explain reported the claim's UPDATE");
        const all = nodes(update);
        assert.deepEqual(
          all.filter((n) =>
            ["Sort", "Seq Scan", "Bitmap Heap Scan", "Hash Join"].includes(n["Node Type"]),
          ),
          [],
        );
        assert.ok(
          all.some((n) => n["Node Type"] === "Index Scan" && n["Index Name"] === "jobs_ready_idx"),
          "the claim reads jobs_ready_idx",
        );
      }

      // The claim of a queue with a concurrency limit goes through the same function.
      await client.query(
        "insert into opskit.job_queues (name, concurrency) values ('default', 1000)",
      );
      await client.query("begin");
      const plans = await plansOf(client, () =>
        claimLimitedJobs(client, "default", {
          worker: "w",
          tasks: ["noop"],
          limit: 50,
          leaseMs: 30_000,
        }),
      );
      await client.query("commit");
      const update = plans.find((p) => p["Node Type"] === "ModifyTable");
      assert.ok(update);
      assert.ok(nodes(update).every((n) => n["Node Type"] !== "Sort"));
      const { rows } = await client.query<{ n: number }>(
        "select count(*)::int as n from opskit.jobs where state = 'running'",
      );
      assert.equal(rows[0]!.n, 450);
      // The session's own planner settings are untouched.
      const { rows: s } = await client.query<{ sort: string; seq: string }>(
        "select current_setting('enable_sort') as sort, current_setting('enable_seqscan') as seq",
      );
      assert.deepEqual(s[0], { sort: "on", seq: "on" });
    } finally {
      client.release();
    }
  });
});

test("after a burst into a queue analyzed when empty, maintenance refreshes the statistics and the claim reads its index in order", async () => {
  await withPool(async (pool) => {
    const noop = defineTask("noop", async () => undefined);
    const queue = createQueue({ pool, tasks: [noop] });
    // Autovacuum would analyze the table on its own at some point in the wait
    // below (and then maintenance rightly has nothing to do): keep it out.
    await pool.query("alter table opskit.jobs set (autovacuum_enabled = off)");
    await pool.query("vacuum analyze opskit.jobs");
    for (let i = 0; i < 3; i++) {
      await queue.addMany(Array.from({ length: 10_000 }, () => ({ task: noop, payload: {} })));
    }
    const plan = async () =>
      (
        await pool.query<{ "QUERY PLAN": string }>(
          `explain select id from opskit.jobs j where j.state = 'ready' and j.queue = any('{default}')
            order by j.priority, j.run_at, j.id limit 200 for update skip locked`,
        )
      ).rows
        .map((r) => r["QUERY PLAN"])
        .join("\n");
    // Stale statistics (the table was empty when analyzed): every claim would sort all ready jobs.
    assert.match(await plan(), /Sort/);
    // The statistics collector publishes the change counts asynchronously: wait until maintenance acts on them.
    await waitUntil(
      async () => (await queue.maintain()).analyzed,
      "maintenance analyzed the table",
    );
    assert.doesNotMatch(await plan(), /Sort/);
    assert.match(await plan(), /Index Scan using jobs_ready_idx/);
    assert.equal((await queue.maintain()).analyzed, false, "not again right away");
  });
});

test("a claim commits without waiting for its WAL flush, and only its own transaction does", async () => {
  await withPool(async (pool) => {
    const noop = defineTask("noop", async () => undefined);
    const queue = createQueue({ pool, tasks: [noop] });
    await queue.add(noop, {});
    const client = await pool.connect();
    try {
      const setting = async () =>
        (await client.query<{ s: string }>("select current_setting('synchronous_commit') as s"))
          .rows[0]?.s;
      await client.query("set synchronous_commit = on"); // the test server's default is off
      await client.query("begin");
      const claimed = await claimJobs(client, {
        worker: "w",
        queues: ["default"],
        tasks: ["noop"],
        limit: 10,
        leaseMs: 30_000,
        prepared: true,
      });
      assert.equal(claimed.length, 1);
      assert.equal(await setting(), "off", "the claim's transaction commits asynchronously");
      await client.query("commit");
      assert.equal(await setting(), "on", "the session (a pooled connection) keeps its setting");
    } finally {
      client.release();
    }
  });
});
