import { findLockHolder, lockKeyOf } from "../../migrate/index.js";
import { OpskitError } from "../../errors.js";
import { age, badge, html, table } from "../html.js";
import { defineConsoleScreen } from "../console-screen.js";
import type { Permissions } from "../permissions.js";
import { actionButton, allowed, definePanel, intParam, type ScreenDeps } from "../screen-kit.js";
import {
  cancelBackend,
  countConnections,
  findBackend,
  listActiveBackends,
  listLockWaits,
  terminateBackend,
  type Backend,
} from "../sql/database-activity.js";

/** Queries running longer than this are flagged as long-running. */
export const LONG_QUERY_SECONDS = 5;

const permissions = {
  "db.cancel_backend": ["admin"],
  "db.terminate_backend": ["admin"],
} as const satisfies Permissions<string>;

/** Database: connections, long-running queries, lock waits, the migration lock; cancel or terminate a backend. */
export const databaseScreen = defineConsoleScreen({
  path: "/database",
  title: "Database",
  nav: 60,
  permissions,
  register: registerDatabaseScreen,
});

function registerDatabaseScreen(deps: ScreenDeps<keyof typeof permissions>): void {
  const { router, pool } = deps;
  const base = router.basePath;

  const connections = definePanel(deps, "db-connections", "Connections by state", async () => {
    const rows = await countConnections(pool);
    return table(
      ["state", "application", "connections"],
      rows.map(
        (r) =>
          html`<tr>
            <td>${badge(r.state, r.state.replace(/ /g, "-"))}</td>
            <td>${r.application_name}</td>
            <td class="num">${r.count}</td>
          </tr>`,
      ),
    );
  });

  const backendRow = (c: Parameters<typeof connections>[0], b: Backend) =>
    html`<tr>
      <td class="num">${b.pid}</td>
      <td>${b.application_name || "—"}</td>
      <td>
        ${b.state ?? "—"}${b.wait_event ? html`<br /><small>${b.wait_event_type}: ${b.wait_event}</small>` : ""}
      </td>
      <td class="num ${b.running_seconds >= LONG_QUERY_SECONDS ? "warn" : ""}">
        ${age(b.running_seconds)}
      </td>
      <td><code class="sql">${b.query}</code></td>
      <td>
        ${
          allowed(deps, c, "db.cancel_backend") || allowed(deps, c, "db.terminate_backend")
            ? html`<a href="${base}/database/backends/${b.pid}">Cancel or terminate…</a>`
            : ""
        }
      </td>
    </tr>`;

  const active = definePanel(deps, "db-active", "Running queries (longest first)", async (c) => {
    const rows = await listActiveBackends(pool);
    return html`<p class="hint">Flagged when running ${LONG_QUERY_SECONDS} s or more.</p>
      ${table(
        ["pid", "application", "state", "running", "query", ""],
        rows.map((b) => backendRow(c, b)),
        "No query is running.",
      )}`;
  });

  const locks = definePanel(deps, "db-locks", "Lock waits: who blocks whom", async () => {
    const rows = await listLockWaits(pool);
    return table(
      ["waiting pid", "waits", "on", "query", "blocked by"],
      rows.map(
        (w) =>
          html`<tr>
            <td class="num">${w.pid}</td>
            <td class="num warn">${age(w.waiting_seconds)}</td>
            <td>${w.locked_relation ?? w.wait_event_type ?? "—"}</td>
            <td><code class="sql">${w.query}</code></td>
            <td>
              ${w.blocker_queries.map(
                (b) =>
                  html`<div>
                    <a href="${base}/database/backends/${b.pid}">pid ${b.pid}</a>
                    (${b.state ?? "?"}): <code class="sql">${b.query}</code>
                  </div>`,
              )}
            </td>
          </tr>`,
      ),
      "No backend is waiting on a lock.",
    );
  });

  const migrationLock = definePanel(deps, "db-migration-lock", "Migration lock", async () => {
    const holder = await findLockHolder(pool, lockKeyOf({}));
    if (!holder) return html`<p>${badge("free", "pass")} No migration runner holds the lock.</p>`;
    return html`<p>
        ${badge("held", "warn")} by pid
        <a href="${base}/database/backends/${holder.pid}">${holder.pid}</a>
        (${holder.application_name || "no application_name"}, ${holder.state ?? "?"} for
        ${age(holder.age_seconds)}${holder.client_addr ? `, from ${holder.client_addr}` : ""})
      </p>
      <p><code class="sql">${holder.query}</code></p>
      <p class="hint">
        An idle runner that holds it for long is an orphan: see the runbook “migration lock
        recovery” (opskit migrate unlock --stale 120), or terminate it here.
      </p>`;
  });

  router.page(
    "/database",
    "Database",
    async (c) =>
      html`<div class="grid">${await connections(c)}${await migrationLock(c)}</div>
        ${await active(c)}${await locks(c)}`,
  );

  router.page("/database/backends/:pid", "Cancel or terminate a backend", async (c) => {
    const pid = intParam(c.req.param("pid"));
    const backend = pid === undefined ? undefined : await findBackend(pool, pid);
    if (!backend)
      return html`<p>No backend ${c.req.param("pid")} in this database (it may have ended).</p>`;
    return html`<dl class="facts">
        <dt>pid</dt>
        <dd>${backend.pid}</dd>
        <dt>user</dt>
        <dd>${backend.usename ?? "—"}</dd>
        <dt>application</dt>
        <dd>${backend.application_name || "—"}</dd>
        <dt>client</dt>
        <dd>${backend.client_addr ?? "local"}</dd>
        <dt>state</dt>
        <dd>${backend.state ?? "—"}</dd>
        <dt>running</dt>
        <dd>${age(backend.running_seconds)}</dd>
        <dt>in transaction for</dt>
        <dd>${age(backend.xact_seconds)}</dd>
        <dt>blocked by</dt>
        <dd>${backend.blocked_by.length ? backend.blocked_by.join(", ") : "—"}</dd>
      </dl>
      <pre class="sql">${backend.query}</pre>
      <p class="hint">
        Cancel stops the current query; the session stays. Terminate ends the session: its open
        transaction rolls back.
      </p>
      <div class="actions">
        ${actionButton(deps, c, { action: "db.cancel_backend", path: `/database/backends/${backend.pid}/cancel`, label: `Cancel pid ${backend.pid}'s query`, fields: { confirm: "yes" } })}
        ${actionButton(deps, c, { action: "db.terminate_backend", path: `/database/backends/${backend.pid}/terminate`, label: `Terminate pid ${backend.pid}`, fields: { confirm: "yes" }, danger: true })}
      </div>`;
  });

  const backendAction = (kind: "cancel" | "terminate") =>
    router.action(
      `/database/backends/:pid/${kind}`,
      kind === "cancel" ? "db.cancel_backend" : "db.terminate_backend",
      async (c, { form, tx, recordIntent }) => {
        const pid = intParam(c.req.param("pid"));
        if (pid === undefined) throw new OpskitError("BAD_REQUEST", "The pid is not a number.");
        if (form.confirm !== "yes") {
          throw new OpskitError(
            "BAD_REQUEST",
            `Confirm first: open pid ${pid} and press the button there.`,
          );
        }
        const before = await findBackend(tx, pid);
        const params = {
          query: before?.query.slice(0, 300),
          application_name: before?.application_name,
          state: before?.state,
        };
        // A signal to another session is not part of this transaction: no
        // rollback takes it back. So the audit row is committed first (the
        // intent), then the signal is sent, then the row gets its result.
        await recordIntent({ target: `pid ${pid}`, params });
        const done =
          kind === "cancel" ? await cancelBackend(tx, pid) : await terminateBackend(tx, pid);
        return {
          target: `pid ${pid}`,
          params,
          result: done ? (kind === "cancel" ? "cancelled" : "terminated") : "not_found",
          flash: done
            ? `pid ${pid}: ${kind === "cancel" ? "query cancelled" : "session terminated"}.`
            : `pid ${pid}: no such backend in this database (it may have ended).`,
          redirect: `${base}/database`,
        };
      },
    );
  backendAction("cancel");
  backendAction("terminate");
}
