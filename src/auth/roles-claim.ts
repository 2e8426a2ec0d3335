/** The default claim that holds roles. */
export const DEFAULT_ROLES_CLAIM = "roles";

/**
 * Reads the roles at a dotted claim path (`roles`, `app_metadata.roles`,
 * `realm_access.roles`): an array of strings, or one string (Supabase puts
 * `"authenticated"` in `role`). Anything else gives no roles rather than an
 * error: a token without roles is a valid token that no role guard admits.
 *
 * @example
 * rolesAt({ app_metadata: { roles: ["manager"] } }, "app_metadata.roles"); // ["manager"]
 */
export function rolesAt(claims: Record<string, unknown>, path: string): string[] {
  let node: unknown = claims;
  for (const part of path.split(".")) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, part)) return [];
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === "string") return node === "" ? [] : [node];
  if (Array.isArray(node))
    return node.filter((r): r is string => typeof r === "string" && r !== "");
  return [];
}
