import { listAuditEntries } from "../../audit/index.js";
import { OpskitError } from "../../errors.js";
import {
  lintMigrations,
  migrationStatus,
  toolkitMigrationsDir,
  type MigrationStatus,
  type MigrationSource,
} from "../../migrate/index.js";
import { badge, html, table, time } from "../html.js";
import { defineConsoleScreen } from "../console-screen.js";
import type { ScreenDeps } from "../screen-kit.js";

const STATE_KIND: Record<string, string> = {
  applied: "pass",
  pending: "warn",
  partial: "warn",
  changed: "fail",
  out_of_order: "fail",
  failed: "fail",
};

/** The migration directories the console reads: the toolkit's own, then the service's. */
export function consoleMigrationSources(
  deps: Pick<ScreenDeps<never>, "migrationSources">,
): MigrationSource[] {
  return deps.migrationSources ?? [{ source: "opskit", dir: toolkitMigrationsDir }];
}

/** Migrations: applied, pending, changed, out of order; who ran what when. */
export const migrationsScreen = defineConsoleScreen({
  path: "/migrations",
  title: "Migrations",
  nav: 50,
  permissions: {},
  register: registerMigrationsScreen,
});

function registerMigrationsScreen(deps: ScreenDeps<never>): void {
  const { router, pool } = deps;
  router.page("/migrations", "Migrations", async () => {
    const status = await migrationStatus({ db: pool, sources: consoleMigrationSources(deps) });
    const history = await listAuditEntries(pool, { action: "migrate.", limit: 20 });
    const lint = await lintPending(consoleMigrationSources(deps), status);
    const counts = new Map<string, number>();
    for (const f of status.files) counts.set(f.state, (counts.get(f.state) ?? 0) + 1);
    const pending = status.files.filter((f) => f.state === "pending" || f.state === "partial");
    return html`<p class="summary">
        ${[...counts].map(([state, n]) => html`${badge(`${n} ${state.replace("_", " ")}`, STATE_KIND[state] ?? "info")} `)}
        ${pending.length > 1 ? html`<span class="warn">More than one migration is pending: deploy them one at a time.</span>` : ""}
      </p>
      ${status.duplicates.map((d) => html`<p class="flash error">Two files of ${d.source} share version ${d.version}: ${d.names.join(", ")} — the runner refuses to run.</p>`)}
      ${status.missing.length ? html`<p class="flash error">Applied but missing from the directory: ${status.missing.map((m) => `${m.source}/${m.name}`).join(", ")}</p>` : ""}
      <section class="panel" id="panel-migration-files">
        <h2>Files, in runner order</h2>
        ${table(
          ["source", "file", "state", "applied at", "applied by", "checksum"],
          status.files.map(
            (f) =>
              html`<tr>
                <td>${f.source}</td>
                <td><code>${f.name}</code></td>
                <td>
                  ${badge(f.state.replace("_", " "), STATE_KIND[f.state] ?? "info")}${f.state === "partial" ? html` <small>${f.statementsDone} statements done</small>` : ""}
                </td>
                <td>${time(f.appliedAt)}</td>
                <td>${f.appliedBy ?? "—"}</td>
                <td><code>${f.checksum.slice(0, 12)}</code></td>
              </tr>`,
          ),
          "No migration files.",
        )}
      </section>
      <section class="panel" id="panel-migration-lint">
        <h2>Lint findings of the files not applied yet</h2>
        ${
          lint.error
            ? html`<p class="flash error">The linter could not run: ${lint.error}</p>`
            : table(
                ["file", "line", "severity", "rule", "message"],
                lint.findings.map(
                  (f) =>
                    html`<tr>
                      <td><code>${f.file.split("/").at(-1)}</code></td>
                      <td class="num">${f.line}:${f.column}</td>
                      <td>
                        ${badge(f.severity, f.severity === "error" ? "fail" : f.severity === "warning" ? "warn" : "info")}
                      </td>
                      <td><code>${f.rule}</code></td>
                      <td>${f.message}</td>
                    </tr>`,
                ),
                lint.files === 0
                  ? "Every file is applied: nothing to lint."
                  : `No finding in ${lint.files} pending file(s).`,
              )
        }
      </section>
      <section class="panel" id="panel-migration-audit">
        <h2>Operator actions on migrations</h2>
        ${table(
          ["at", "actor", "action", "target", "result"],
          history.map(
            (a) =>
              html`<tr>
                <td>${time(a.at)}</td>
                <td>${a.actor}</td>
                <td>${a.action}</td>
                <td>${a.target ?? "—"}</td>
                <td>${a.result}</td>
              </tr>`,
          ),
          "No accepted checksum or lock recovery on record.",
        )}
      </section>`;
  });
}

/**
 * The linter's findings for the files not applied yet (applied files are
 * history: the runner never runs them again), with the applied ones given as
 * context so objects they created count as existing.
 */
async function lintPending(
  sources: MigrationSource[],
  status: MigrationStatus,
): Promise<{
  findings: Awaited<ReturnType<typeof lintMigrations>>["findings"];
  files: number;
  error?: string;
}> {
  const applied = status.files
    .filter((f) => f.state === "applied" || f.state === "changed")
    .map((f) => ({ source: f.source, name: f.name }));
  try {
    const result = await lintMigrations({ dirs: sources.map((s) => s.dir), applied });
    const pending = new Set(result.files.filter((f) => !f.applied).map((f) => f.path));
    return { findings: result.findings.filter((f) => pending.has(f.file)), files: pending.size };
  } catch (error) {
    return {
      findings: [],
      files: 0,
      error: error instanceof OpskitError ? error.message : "see the log",
    };
  }
}
