import { LOGIN_PERMISSIONS } from "./console-login.js";
import { permissionsOf } from "./console-screen.js";
import type { Permissions } from "./permissions.js";
import { BUILT_IN_SCREENS } from "./screens.js";

/**
 * Every built-in action and the roles allowed to do it by default: the
 * login's two and each built-in screen's own table, merged. A service
 * narrows or widens it with `createConsole({ permissions })`; its own
 * screens bring their own entries.
 */
export const DEFAULT_PERMISSIONS: Permissions = {
  ...LOGIN_PERMISSIONS,
  ...permissionsOf(BUILT_IN_SCREENS),
};

/** The default table with the service's overrides applied. */
export function resolvePermissions(overrides: Partial<Permissions> = {}): Permissions {
  return { ...DEFAULT_PERMISSIONS, ...overrides };
}
