import type { LoginAction } from "./console-login.js";
import type { BuiltInScreenAction } from "./screens.js";

/** Console roles, weakest first. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every mutating action of the built-in console: the login's two and each
 * built-in screen's, derived from their `as const` permission tables (a
 * misspelt action name does not compile). A service's own screens add
 * theirs at `createConsole({ screens })`.
 */
export type ConsoleAction = LoginAction | BuiltInScreenAction;

/**
 * Each action and the roles allowed to do it (Oban Web's per-action
 * resolver, as a table). Reading any screen needs a session of any role.
 */
export type Permissions<A extends string = ConsoleAction> = { readonly [K in A]: readonly Role[] };

/** True when `role` may do `action`; an action no table declares is nobody's. */
export function can<A extends string>(permissions: Permissions<A>, role: Role, action: A): boolean {
  const roles: readonly Role[] | undefined = permissions[action];
  return roles?.includes(role) ?? false;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
