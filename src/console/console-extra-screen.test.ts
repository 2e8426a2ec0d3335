import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { consoleClient, mountAt } from "../../test/console.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { isOpskitError } from "../errors.js";
import { allowed, createConsole, defineConsoleScreen, html, table, type Console } from "./index.js";

/*
 * A screen declared outside the console, the way a service (or another
 * area's part) adds one: only the public `opskit/console` names, no edit of
 * the console's own lists.
 */

const ADMIN = "a".repeat(32);
const VIEWER = "c".repeat(32);

const notesScreen = defineConsoleScreen({
  path: "/notes",
  title: "Notes",
  nav: 75, // after the audit log (70)
  permissions: { "notes.add": ["operator", "admin"] },
  register(deps) {
    const { router } = deps;
    router.page("/notes", "Notes", async (c) => {
      const { rows } = await deps.pool.query<{ body: string }>(
        "select body from app_notes order by id",
      );
      return html`${table(
        ["note"],
        rows.map(
          (r) =>
            html`<tr>
              <td class="note">${r.body}</td>
            </tr>`,
        ),
        "No note yet.",
      )}
      ${allowed(deps, c, "notes.add") ? html`<p data-can-add="yes">you may add</p>` : ""}`;
    });
    router.action("/notes", "notes.add", async (_c, { form, tx }) => {
      await tx.query("insert into app_notes (body) values ($1)", [form.body ?? ""]);
      // After the write, inside the action's transaction: nothing of it may remain.
      if (form.body === "fail") throw new Error("the note refused itself");
      return { target: "notes", params: { body: form.body }, result: "added" };
    });
  },
});

// Linked from the notes page only: not in the navigation.
const hiddenScreen = defineConsoleScreen({
  path: "/notes/hidden",
  title: "Hidden notes",
  nav: false,
  permissions: {},
  register(deps) {
    deps.router.page("/notes/hidden", "Hidden notes", async () => html`<p>hidden page</p>`);
  },
});

let db: TestDatabase;
let pool: Pool;
let opsConsole: Console<string>;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  await pool.query("create table app_notes (id bigserial primary key, body text not null)");
  opsConsole = createConsole({
    pool,
    development: false,
    credentials: { adminTokens: [ADMIN], viewerTokens: [VIEWER] },
    sampleIntervalMs: 0,
    screens: [notesScreen, hiddenScreen],
  });
});
after(async () => {
  await opsConsole.close();
  await pool.end();
  await db.drop();
});

async function auditRows(): Promise<{ actor: string; result: string; target: string | null }[]> {
  const { rows } = await pool.query<{ actor: string; result: string; target: string | null }>(
    "select actor, result, target from opskit.audit_log where action = 'notes.add' order by id",
  );
  return rows;
}

const notes = async () =>
  (await pool.query<{ body: string }>("select body from app_notes order by id")).rows.map(
    (r) => r.body,
  );

test("a screen declared outside the console is in the navigation by its order, and its page renders", async () => {
  const browser = consoleClient(mountAt(opsConsole));
  await browser.loginWithToken(ADMIN);
  const page = await browser.get("/ops/notes");
  assert.equal(page.status, 200);
  assert.match(page.text, /<h1>Notes<\/h1>/);
  assert.match(page.text, /No note yet\./);
  const nav = /<nav>([\s\S]*?)<\/nav>/.exec(page.text)?.[1] ?? "";
  const labels = [...nav.matchAll(/<a href="([^"]+)" class="([^"]*)">([^<]+)<\/a>/g)].map(
    (m) => `${m[1]} ${m[3]}${m[2] ? " (active)" : ""}`,
  );
  assert.deepEqual(labels, [
    "/ops Overview",
    "/ops/jobs Jobs",
    "/ops/schedules Schedules",
    "/ops/inbox Inbox",
    "/ops/migrations Migrations",
    "/ops/database Database",
    "/ops/audit Audit log",
    "/ops/notes Notes (active)",
  ]);
  const hidden = await browser.get("/ops/notes/hidden");
  assert.equal(hidden.status, 200);
  assert.match(hidden.text, /hidden page/);
  assert.doesNotMatch(
    hidden.text,
    /Hidden notes<\/a>/,
    "nav: false keeps it out of the navigation",
  );
});

test("its action is listed in console.actions, permission-checked, audited, and one transaction with its audit row", async () => {
  assert.equal(opsConsole.actions.get("POST /ops/notes"), "notes.add");
  // As the audit test walks it: every mutating route of the app is a listed action.
  const app = mountAt(opsConsole);
  const mutating = app.routes.filter((r) => !["GET", "ALL", "HEAD"].includes(r.method));
  for (const r of mutating) assert.ok(opsConsole.actions.has(`${r.method} ${r.path}`), r.path);

  const viewer = consoleClient(mountAt(opsConsole));
  await viewer.loginWithToken(VIEWER);
  assert.doesNotMatch((await viewer.get("/ops/notes")).text, /data-can-add/);
  const refused = await viewer.post("/ops/notes", { body: "from a viewer" });
  assert.equal(refused.status, 403);
  assert.deepEqual(await notes(), []);
  assert.equal((await auditRows()).at(-1)?.result, "denied: role viewer");

  const admin = consoleClient(mountAt(opsConsole));
  await admin.loginWithToken(ADMIN);
  assert.match((await admin.get("/ops/notes")).text, /data-can-add/);
  const noToken = await admin.post("/ops/notes", { body: "no csrf" }, { csrf: false });
  assert.equal(noToken.status, 403);
  assert.equal((await auditRows()).at(-1)?.result, "denied: missing or wrong CSRF token");

  const added = await admin.post("/ops/notes", { body: "hello", return_to: "/ops/notes" });
  assert.equal(added.status, 303);
  assert.equal(added.headers.get("location"), "/ops/notes");
  assert.deepEqual(await notes(), ["hello"]);
  const ok = (await auditRows()).at(-1);
  assert.equal(ok?.result, "added");
  assert.equal(ok?.target, "notes");
  assert.match(ok?.actor ?? "", /^admin-token:/);
  assert.match((await admin.get("/ops/notes")).text, /class="note">hello</);

  const failed = await admin.post("/ops/notes", { body: "fail" });
  assert.equal(failed.status, 303);
  assert.deepEqual(await notes(), ["hello"], "the failed action's insert rolled back");
  assert.equal((await auditRows()).at(-1)?.result, "error: INTERNAL");
});

test("the service's overrides reach its own actions: a viewer may add when allowed", async () => {
  const widened = createConsole({
    pool,
    development: false,
    credentials: { viewerTokens: [VIEWER] },
    sampleIntervalMs: 0,
    screens: [notesScreen],
    permissions: { "notes.add": ["viewer"] },
  });
  try {
    const viewer = consoleClient(mountAt(widened));
    await viewer.loginWithToken(VIEWER);
    await viewer.get("/ops/notes");
    assert.equal((await viewer.post("/ops/notes", { body: "by a viewer" })).status, 303);
    assert.deepEqual(await notes(), ["hello", "by a viewer"]);
  } finally {
    await widened.close();
  }
});

test("a screen that reuses a built-in path or action name is refused when the console is made", () => {
  const clash = (path: string, action: string) => () =>
    createConsole({
      pool,
      development: false,
      credentials: {},
      screens: [
        defineConsoleScreen({
          path,
          title: "Clash",
          nav: false,
          permissions: { [action]: ["admin"] },
          register: () => undefined,
        }),
      ],
    });
  const refused = (error: unknown) => isOpskitError(error) && error.code === "CONFIG_INVALID";
  assert.throws(clash("/clash", "jobs.retry"), refused);
  assert.throws(clash("/clash", "console.logout"), refused);
  assert.throws(clash("/jobs", "clash.do"), refused);
});
