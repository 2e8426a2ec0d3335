export {
  claimAuditKey,
  createAuditLogSql,
  listAuditEntries,
  recordAudit,
  setAuditResult,
  type AuditEntry,
  type AuditFilter,
  type AuditRow,
} from "./audit-log.js";
// Kept for users who typed with it: it is db's one Queryable.
export type { Queryable as AuditQueryable } from "../db/index.js";
