/**
 * The servers the inbox benchmark loads, one process each (env MODE):
 * `inbox`: opskit's HTTP app with the inbox route (GitHub-style verify, event
 * + job in one statement, group commit, 2xx after commit);
 * `bare`: node:http + pg, the anchor: read the raw body, insert it into a
 * plain table, 200 after commit. Same pool size; prints "ready".
 */
import http from "node:http";
import pg from "pg";
import { createPool } from "../src/db/index.js";
import { createHttpApp, startHttpServer } from "../src/http/index.js";
import { createInbox, githubVerifier } from "../src/inbox/index.js";
import { createLogger } from "../src/log/index.js";

const url = process.env.DATABASE_URL!;
const port = Number(process.env.PORT);
const poolMax = Number(process.env.POOL_MAX ?? 8);

if (process.env.MODE === "bare") {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  http
    .createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        pool.query("insert into bench_bare (body) values ($1)", [Buffer.concat(chunks)]).then(
          () => res.end('{"received":true}'),
          () => {
            res.statusCode = 503;
            res.end();
          },
        );
      });
    })
    .listen(port, "127.0.0.1", () => process.stdout.write("ready\n"));
} else {
  const log = createLogger({ level: "silent" });
  const pool = createPool({ connectionString: url, max: poolMax });
  const inbox = createInbox({
    pool,
    log,
    sources: [
      {
        name: "gh",
        verifier: githubVerifier({ secrets: [process.env.SECRET!] }),
        handler: () => undefined,
      },
    ],
    writer: {
      ...(process.env.MAX_BATCH ? { maxBatch: Number(process.env.MAX_BATCH) } : {}),
      ...(process.env.MAX_CONCURRENT ? { maxConcurrent: Number(process.env.MAX_CONCURRENT) } : {}),
    },
  });
  await inbox.register();
  if (process.env.MODE === "inbox-node") {
    // The same inbox through its Node handler on plain node:http (no Hono, no service middleware).
    const handle = inbox.nodeHandler("gh");
    http
      .createServer((req, res) => void handle(req, res))
      .listen(port, "127.0.0.1", () => process.stdout.write("ready\n"));
  } else {
    const app = createHttpApp({ log, mounts: [{ path: "/", app: inbox.app }] });
    await startHttpServer(app, { port, host: "127.0.0.1" });
    process.stdout.write("ready\n");
  }
}

// Exit normally on a signal, so `--cpu-prof` can write its profile.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
