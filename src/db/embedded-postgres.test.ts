import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { startEmbeddedPostgres } from "./index.js";

const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-embedded-"));
after(() => rm(tmp, { recursive: true, force: true }));

async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server };
}

async function scalar(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, unknown>>(sql);
    return Object.values(rows[0] ?? {})[0];
  } finally {
    await client.end();
  }
}

// CI runs as root: the server then runs as a `postgres` system user, which this test exercises there.
test("starts on another port when the preferred one is taken, reuses a running server and its data", async () => {
  const dataDir = path.join(tmp, "pg");
  const taken = await occupy();
  try {
    const first = await startEmbeddedPostgres({ dataDir, port: taken.port });
    assert.notEqual(first.port, taken.port);
    assert.equal(first.owned, true);
    await scalar(first.url, "create table kept (id int)");
    // A second process (here: a second call) finds the running server instead of failing on its lock file.
    const second = await startEmbeddedPostgres({ dataDir, port: taken.port });
    assert.equal(second.owned, false);
    assert.equal(second.port, first.port);
    await first.stop();
    assert.equal(existsSync(path.join(dataDir, "postmaster.pid")), false);
    // Started again on the same folder: no initdb, the data is still there.
    const third = await startEmbeddedPostgres({ dataDir });
    assert.equal(await scalar(third.url, "select to_regclass('kept')::text"), "kept");
    await third.stop();
  } finally {
    taken.server.close();
  }
});
