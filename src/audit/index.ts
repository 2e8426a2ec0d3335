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
