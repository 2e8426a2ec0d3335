/** One check of a verify or a drill: what the CLI's `--json` prints and a receipt records. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** The check could not run here (e.g. amcheck not installed in a provider's copy); it does not fail the drill. */
  skipped?: boolean;
}

/** SQL that must return no rows in a restored copy ("no order past Filling without a stage change"). */
export interface Invariant {
  name: string;
  sql: string;
}

/** SQL that must run without error in a restored copy; run in a transaction that is rolled back, so it may write. */
export interface SmokeQuery {
  name: string;
  sql: string;
  params?: unknown[];
}
