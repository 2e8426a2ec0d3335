import { OpskitError } from "../errors.js";

/** An encrypted column: values in `column`, each bound to its row by `idColumn`. */
export interface SecretColumn {
  /** The table as the service names it in `SecretPlace.table` (`stores`, `billing.accounts`). */
  table: string;
  column: string;
  /** A unique, ordered column (the primary key): rotation walks it in batches. */
  idColumn: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** Checks a declaration: plain identifiers only, since they are spliced into SQL (quoted). */
export function checkSecretColumn(column: SecretColumn): SecretColumn {
  const parts = [...column.table.split("."), column.column, column.idColumn];
  if (column.table.split(".").length > 2 || !parts.every((p) => IDENT.test(p))) {
    throw new OpskitError(
      "SECRETS_CONFIG_INVALID",
      `Secret column ${column.table}.${column.column} (id ${column.idColumn}) must name a table, column and id column with plain identifiers.`,
    );
  }
  return Object.freeze({ ...column });
}

/** `"schema"."table"` from `schema.table`. */
export function quoteTable(table: string): string {
  return table
    .split(".")
    .map((p) => `"${p.replaceAll('"', '""')}"`)
    .join(".");
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
