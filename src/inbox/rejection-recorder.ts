import type { Pool } from "../db/index.js";
import type { Logger } from "../log/index.js";

/** A request refused before storage: metadata only, never its body. */
export interface Rejection {
  source: string;
  reason: string;
  detail: string;
  httpStatus: number;
  bodyBytes: number | null;
  deliveryId: string | null;
  userAgent: string | null;
}

export interface RejectionRecorder {
  record(rejection: Rejection): void;
  /** Writes what is buffered now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const INSERT_SQL = `insert into opskit.inbox_rejections
  (slot, source, reason, detail, http_status, body_bytes, delivery_id, user_agent, rejected_at)
select nextval('opskit.inbox_rejection_slot'), s, r, d, h, b, i, u, a
  from unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::integer[], $6::text[],
              $7::text[], $8::timestamptz[]) as x(s, r, d, h, b, i, u, a)
on conflict (slot) do update set source = excluded.source, reason = excluded.reason,
  detail = excluded.detail, http_status = excluded.http_status, body_bytes = excluded.body_bytes,
  delivery_id = excluded.delivery_id, user_agent = excluded.user_agent,
  rejected_at = excluded.rejected_at`;

/**
 * Records refused requests in the capped `opskit.inbox_rejections` ring, off
 * the request path: the 401 is answered without waiting for the database
 * (it must not depend on it), and a flood of forged requests costs one
 * batched insert per interval, not one per request. The buffer is bounded:
 * past `maxBuffered` rejections are only counted (metrics and the log still
 * see every one).
 */
export function createRejectionRecorder(options: {
  pool: Pool;
  log: Logger;
  intervalMs?: number;
  maxBuffered?: number;
}): RejectionRecorder {
  const maxBuffered = options.maxBuffered ?? 1_000;
  let buffer: (Rejection & { at: Date })[] = [];
  let dropped = 0;
  let writing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void flush(), options.intervalMs ?? 1_000);
  timer.unref();

  function flush(): Promise<void> {
    writing = writing.then(async () => {
      if (buffer.length === 0) return;
      const rows = buffer;
      buffer = [];
      const lost = dropped;
      dropped = 0;
      try {
        await options.pool.query(INSERT_SQL, [
          rows.map((r) => r.source.slice(0, 200)),
          rows.map((r) => r.reason),
          rows.map((r) => r.detail.slice(0, 500)),
          rows.map((r) => r.httpStatus),
          rows.map((r) => r.bodyBytes),
          rows.map((r) => r.deliveryId?.slice(0, 200) ?? null),
          rows.map((r) => r.userAgent?.slice(0, 200) ?? null),
          rows.map((r) => r.at),
        ]);
      } catch (error) {
        options.log.warn({ err: error, rejections: rows.length }, "could not record rejections");
      }
      if (lost > 0) options.log.warn({ dropped: lost }, "rejections not recorded: buffer full");
    });
    return writing;
  }

  return {
    record(rejection) {
      if (buffer.length >= maxBuffered) dropped++;
      else buffer.push({ ...clean(rejection), at: new Date() });
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

// Postgres text cannot hold NUL; these fields come from the request.
function clean(r: Rejection): Rejection {
  const strip = (s: string | null) => (s === null ? null : s.replaceAll("\u0000", ""));
  return {
    ...r,
    source: r.source.replaceAll("\u0000", ""),
    deliveryId: strip(r.deliveryId),
    userAgent: strip(r.userAgent),
  };
}
