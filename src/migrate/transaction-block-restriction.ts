import type { DefElem, Node } from "@pgsql/types";

/**
 * Statements Postgres refuses inside a transaction block (SQLSTATE 25001,
 * "X cannot run inside a transaction block": `PreventInTransactionBlock` in
 * the server). Returns the command as the server names it, or undefined.
 *
 * Each case cites the PostgreSQL 15 reference page that says so; the ones
 * that can be run on a single test server are checked against a real
 * Postgres in transaction-block-restriction.test.ts.
 *
 * Not listed because it cannot be known from the text alone: REINDEX and
 * CLUSTER of a *partitioned* table (also refused in a transaction block).
 *
 * @example
 * transactionBlockRestriction(parsed.statements[0].ast, 15); // "CREATE INDEX CONCURRENTLY"
 */
export function transactionBlockRestriction(node: Node, pgVersion: number): string | undefined {
  // sql-createindex.html: "a regular CREATE INDEX command can be performed
  // within a transaction block, but CREATE INDEX CONCURRENTLY cannot."
  if ("IndexStmt" in node)
    return node.IndexStmt.concurrent ? "CREATE INDEX CONCURRENTLY" : undefined;
  // sql-dropindex.html: "DROP INDEX CONCURRENTLY ... cannot be executed inside a transaction block"
  if ("DropStmt" in node) {
    return node.DropStmt.concurrent && node.DropStmt.removeType === "OBJECT_INDEX"
      ? "DROP INDEX CONCURRENTLY"
      : undefined;
  }
  if ("ReindexStmt" in node) {
    const { kind, params } = node.ReindexStmt;
    // sql-reindex.html: "REINDEX SCHEMA, REINDEX DATABASE and REINDEX SYSTEM
    // cannot be executed inside a transaction block" ...
    if (kind === "REINDEX_OBJECT_SCHEMA") return "REINDEX SCHEMA";
    if (kind === "REINDEX_OBJECT_DATABASE") return "REINDEX DATABASE";
    if (kind === "REINDEX_OBJECT_SYSTEM") return "REINDEX SYSTEM";
    // ... "REINDEX CONCURRENTLY ... cannot be executed inside a transaction block"
    const concurrently = option(params, "concurrently");
    return concurrently !== undefined && concurrently !== false
      ? "REINDEX CONCURRENTLY"
      : undefined;
  }
  // sql-vacuum.html: "VACUUM cannot be executed inside a transaction block." (ANALYZE can.)
  if ("VacuumStmt" in node) return node.VacuumStmt.is_vacuumcmd ? "VACUUM" : undefined;
  // sql-cluster.html: "CLUSTER without a table_name ... cannot be executed inside a transaction block."
  if ("ClusterStmt" in node) return node.ClusterStmt.relation ? undefined : "CLUSTER";
  // sql-altersystem.html: "ALTER SYSTEM cannot be executed inside a transaction block"
  if ("AlterSystemStmt" in node) return "ALTER SYSTEM";
  // sql-createdatabase.html / sql-dropdatabase.html: "cannot be executed inside a transaction block"
  if ("CreatedbStmt" in node) return "CREATE DATABASE";
  if ("DropdbStmt" in node) return "DROP DATABASE";
  // sql-alterdatabase.html: "SET TABLESPACE ... cannot be executed inside a transaction block"
  if ("AlterDatabaseStmt" in node) {
    return option(node.AlterDatabaseStmt.options, "tablespace") !== undefined
      ? "ALTER DATABASE SET TABLESPACE"
      : undefined;
  }
  // sql-createtablespace.html / sql-droptablespace.html: "cannot be executed inside a transaction block"
  if ("CreateTableSpaceStmt" in node) return "CREATE TABLESPACE";
  if ("DropTableSpaceStmt" in node) return "DROP TABLESPACE";
  // sql-altertype.html (PG 11 and older): "ALTER TYPE ... ADD VALUE (the form that adds a new
  // value to an enum type) cannot be executed inside a transaction block." Since 12 it can,
  // but the new value cannot be used before the transaction commits (55P04).
  if ("AlterEnumStmt" in node) {
    return pgVersion < 12 && node.AlterEnumStmt.oldVal === undefined
      ? "ALTER TYPE ... ADD VALUE"
      : undefined;
  }
  // sql-altertable.html (PG 14+): "DETACH PARTITION ... CONCURRENTLY ... cannot be used
  // inside a transaction block"
  if ("AlterTableStmt" in node) {
    const concurrentDetach = (node.AlterTableStmt.cmds ?? []).some(
      (c) =>
        "AlterTableCmd" in c &&
        c.AlterTableCmd.subtype === "AT_DetachPartition" &&
        c.AlterTableCmd.def !== undefined &&
        "PartitionCmd" in c.AlterTableCmd.def &&
        c.AlterTableCmd.def.PartitionCmd.concurrent === true,
    );
    return concurrentDetach ? "ALTER TABLE ... DETACH PARTITION CONCURRENTLY" : undefined;
  }
  // sql-createsubscription.html: "CREATE SUBSCRIPTION cannot be executed inside a transaction
  // block when the parameter create_slot is specified" (true by default; connect = false
  // turns it off).
  if ("CreateSubscriptionStmt" in node) {
    const { options } = node.CreateSubscriptionStmt;
    const createSlot = option(options, "create_slot") ?? option(options, "connect") ?? true;
    return createSlot === false ? undefined : "CREATE SUBSCRIPTION ... WITH (create_slot = true)";
  }
  // sql-altersubscription.html: "ALTER SUBSCRIPTION ... REFRESH PUBLICATION and ALTER
  // SUBSCRIPTION ... {SET|ADD|DROP} PUBLICATION ... with refresh option as true cannot be
  // executed inside a transaction block."
  if ("AlterSubscriptionStmt" in node) {
    const { kind, options } = node.AlterSubscriptionStmt;
    if (kind === "ALTER_SUBSCRIPTION_REFRESH") return "ALTER SUBSCRIPTION ... REFRESH";
    const publication =
      kind === "ALTER_SUBSCRIPTION_SET_PUBLICATION" ||
      kind === "ALTER_SUBSCRIPTION_ADD_PUBLICATION" ||
      kind === "ALTER_SUBSCRIPTION_DROP_PUBLICATION";
    return publication && option(options, "refresh") !== false
      ? "ALTER SUBSCRIPTION ... PUBLICATION with refresh"
      : undefined;
  }
  // sql-dropsubscription.html: "DROP SUBSCRIPTION cannot be executed inside a transaction block
  // if the subscription is associated with a replication slot" (the default).
  if ("DropSubscriptionStmt" in node) return "DROP SUBSCRIPTION";
  // sql-discard.html: "DISCARD ALL cannot be executed inside a transaction block."
  if ("DiscardStmt" in node)
    return node.DiscardStmt.target === "DISCARD_ALL" ? "DISCARD ALL" : undefined;
  // sql-commit-prepared.html / sql-rollback-prepared.html: "cannot be executed inside a transaction block"
  if ("TransactionStmt" in node) {
    if (node.TransactionStmt.kind === "TRANS_STMT_COMMIT_PREPARED") return "COMMIT PREPARED";
    if (node.TransactionStmt.kind === "TRANS_STMT_ROLLBACK_PREPARED") return "ROLLBACK PREPARED";
  }
  return undefined;
}

/**
 * A `WITH (name = value)` option as a boolean when it is one (true/false/on/off/1/0,
 * or no value = true), the raw text otherwise, undefined when absent.
 */
export function option(list: Node[] | undefined, name: string): boolean | string | undefined {
  const elem = (list ?? [])
    .map((n) => ("DefElem" in n ? n.DefElem : undefined))
    .find((d): d is DefElem => d?.defname === name);
  if (!elem) return undefined;
  const arg = elem.arg;
  if (arg === undefined) return true;
  let text: string | undefined;
  if ("String" in arg) text = arg.String.sval;
  else if ("Boolean" in arg) return arg.Boolean.boolval ?? false;
  else if ("Integer" in arg) text = String(arg.Integer.ival ?? 0);
  else if ("TypeName" in arg) {
    const last = arg.TypeName.names?.at(-1);
    text = last && "String" in last ? last.String.sval : undefined;
  } else if ("A_Const" in arg) {
    const c = arg.A_Const;
    text =
      c.sval?.sval ??
      (c.ival ? String(c.ival.ival ?? 0) : c.boolval ? String(c.boolval.boolval) : undefined);
  }
  if (text === undefined) return undefined;
  const lower = text.toLowerCase();
  if (["true", "on", "1", "yes"].includes(lower)) return true;
  if (["false", "off", "0", "no"].includes(lower)) return false;
  return text;
}
