/**
 * A reader in its own process for the crash test (SIGKILL needs a process):
 * it records each delivered row in `received`, then confirms, except for a
 * transaction holding a `{"hang": true}` payload, which it records and never
 * confirms. Prints "streaming" once the stream is open.
 *
 *   OUTBOX_DB_URL=… OUTBOX_SLOT=… OUTBOX_PUBLICATION=… node --import tsx reader-crash-child.ts
 */
import pg from "pg";
import { createLogger } from "../../log/index.js";
import { createLogicalOutboxReader } from "./logical-outbox-reader.js";

const url = process.env.OUTBOX_DB_URL!;
const pool = new pg.Pool({ connectionString: url, max: 2 });
const reader = createLogicalOutboxReader({
  connectionString: url,
  slotName: process.env.OUTBOX_SLOT!,
  publicationName: process.env.OUTBOX_PUBLICATION!,
  maxSlotLagBytes: 1024 ** 3,
  log: createLogger({ level: "warn", destination: process.stderr }),
  onRows: async (rows, commit) => {
    await pool.query("insert into received (id, lsn) select unnest($1::uuid[]), $2", [
      rows.map((r) => r.id),
      commit.lsn,
    ]);
    if (rows.some((r) => r.payload?.includes('"hang": true'))) await new Promise(() => undefined);
  },
});
await reader.start();
process.stdout.write("streaming\n");
