/**
 * No acknowledged webhook is ever lost: a load generator posts signed
 * deliveries (and re-sends some already acknowledged) while the service
 * process is SIGKILLed and restarted repeatedly and Postgres itself is
 * restarted; every delivery that got a 2xx must be in the table exactly
 * once, with its processing job.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../db/index.js";
import { migrate, toolkitMigrationsDir } from "../migrate/index.js";
import { freePort } from "../../test/free-port.js";

const SECRET = "crash-secret";
const KILLS = 4;
const root = path.resolve(import.meta.dirname, "../..");

async function startService(url: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "test/fixtures/inbox-service.ts")],
    {
      env: { PATH: process.env.PATH, DATABASE_URL: url, PORT: String(port), SECRET },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`service exited early (${code})`)));
  });
  child.removeAllListeners("exit");
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

test(
  "0 acknowledged-then-missing events across repeated kill -9 of the service and a Postgres restart under load",
  { timeout: 180_000 },
  async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-inbox-crash-"));
    let server: EmbeddedPostgresHandle | undefined;
    let service: ChildProcess | undefined;
    let stopLoad = false;
    try {
      const pgPort = await freePort();
      const dataDir = path.join(tmp, "pg");
      server = await startEmbeddedPostgres({ dataDir, port: pgPort });
      const url = server.url;
      const migrated = await migrate({
        connectionString: url,
        sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
      });
      assert.equal(migrated.error, undefined);
      const port = await freePort();
      const endpoint = `http://127.0.0.1:${port}/webhooks/gh`;
      service = await startService(url, port);

      const acked = new Set<string>();
      const statuses = new Map<number | string, number>();
      let sent = 0;
      let ackWaiters: { target: number; resolve: () => void }[] = [];
      const onAck = () => {
        ackWaiters = ackWaiters.filter((w) =>
          acked.size >= w.target ? (w.resolve(), false) : true,
        );
      };
      // A hang guard, not a timing assertion: the service never came back.
      const moreAcks = (n: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no ${n} more acknowledgements within 60 s`)),
            60_000,
          );
          ackWaiters.push({
            target: acked.size + n,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          });
        });

      const post = async (id: string) => {
        const body = JSON.stringify({ delivery: id, pad: "x".repeat(200) });
        const signature = "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex");
        try {
          const res = await fetch(endpoint, {
            method: "POST",
            body,
            headers: {
              "x-github-delivery": id,
              "x-hub-signature-256": signature,
              "x-github-event": "push",
            },
            signal: AbortSignal.timeout(5_000),
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 200 && res.status < 300) {
            acked.add(id);
            onAck();
          }
        } catch {
          statuses.set("network", (statuses.get("network") ?? 0) + 1);
        }
      };
      const loop = async (worker: number) => {
        for (let i = 0; !stopLoad && i < 100_000; i++) {
          sent++;
          // Every 10th request re-sends an acknowledged delivery: it must stay one row.
          const again = i % 10 === 9 && acked.size > 0 ? [...acked][i % acked.size] : undefined;
          await post(again ?? `w${worker}-${i}`);
          if (statuses.get("network") && !stopLoad) await new Promise((r) => setTimeout(r, 2));
        }
      };
      const load = Promise.all(Array.from({ length: 8 }, (_, w) => loop(w)));

      for (let k = 0; k < KILLS; k++) {
        await moreAcks(150);
        await kill9(service);
        service = await startService(url, port);
      }
      await moreAcks(150);
      // Postgres restart under load: the service stays up and answers 503 meanwhile.
      await server.stop();
      server = await startEmbeddedPostgres({ dataDir, port: pgPort });
      assert.equal(server.port, pgPort);
      await moreAcks(150);
      await kill9(service);
      service = await startService(url, port);
      await moreAcks(150);
      stopLoad = true;
      await load;

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ dedupe_key: string; jobs: number }>(
          `select e.dedupe_key,
                (select count(*)::int from opskit.jobs j where j.payload->>'eventId' = e.id::text) as jobs
           from opskit.inbox_events e where e.source = 'gh'`,
        );
        const stored = new Map(rows.map((r) => [r.dedupe_key, r.jobs]));
        const missing = [...acked].filter((id) => !stored.has(id));
        assert.deepEqual(
          missing,
          [],
          `acknowledged but missing (of ${acked.size} acked, ${sent} sent)`,
        );
        assert.equal(rows.length, stored.size, "a delivery stored twice");
        assert.deepEqual(
          rows.filter((r) => r.jobs !== 1),
          [],
          "every stored event has exactly one job",
        );
        // The faults happened: some requests failed, and most still got through.
        assert.ok(acked.size >= 150 * (KILLS + 3), `only ${acked.size} acknowledged`);
        assert.ok(
          (statuses.get("network") ?? 0) + (statuses.get(503) ?? 0) > 0,
          JSON.stringify([...statuses]),
        );
      } finally {
        await client.end();
      }
    } finally {
      stopLoad = true;
      if (service && service.exitCode === null) await kill9(service);
      await server?.stop();
      await rm(tmp, { recursive: true, force: true });
    }
  },
);
