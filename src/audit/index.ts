export {
  claimAuditKey,
  createAuditLogSql,
  listAuditEntries,
  recordAudit,
  setAuditResult,
  type AuditEntry,
  type AuditFilter,
  type AuditQueryable,
  type AuditRow,
} from "./audit-log.js";
