/** How the area's short-lived connections name themselves in pg_stat_activity. */
export const BACKUP_CLIENT = { application_name: "opskit-backup" } as const;
