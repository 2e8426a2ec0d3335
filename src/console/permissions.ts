/** Console roles, weakest first. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every mutating action of the console and the roles allowed to do it by
 * default (Oban Web's per-action resolver, as a table). A service narrows or
 * widens it with `createConsole({ permissions })`. Reading any screen needs a
 * session of any role.
 */
export const DEFAULT_PERMISSIONS = {
  "console.login": ["viewer", "operator", "admin"],
  "console.logout": ["viewer", "operator", "admin"],
  "jobs.retry": ["operator", "admin"],
  "jobs.cancel": ["operator", "admin"],
  "jobs.delete": ["admin"],
  "jobs.bulk_retry": ["operator", "admin"],
  "jobs.bulk_cancel": ["operator", "admin"],
  "jobs.bulk_delete": ["admin"],
  "queues.pause": ["operator", "admin"],
  "queues.resume": ["operator", "admin"],
  "inbox.replay": ["operator", "admin"],
  "inbox.bulk_replay": ["operator", "admin"],
  "inbox.pause_source": ["operator", "admin"],
  "inbox.resume_source": ["operator", "admin"],
  "db.cancel_backend": ["admin"],
  "db.terminate_backend": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type ConsoleAction = keyof typeof DEFAULT_PERMISSIONS;
export type Permissions = Record<ConsoleAction, readonly Role[]>;

/** The default table with the service's overrides applied. */
export function resolvePermissions(overrides: Partial<Permissions> = {}): Permissions {
  return { ...DEFAULT_PERMISSIONS, ...overrides };
}

/** True when `role` may do `action`. */
export function can(permissions: Permissions, role: Role, action: ConsoleAction): boolean {
  return permissions[action].includes(role);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
