// A scheme, then the userinfo up to the LAST `@` before the path, query or
// fragment: the same split a URL parser makes, so a raw `@` in a password
// (`p@ss`) is masked whole instead of leaking its tail.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi;

/** What replaces a password (or a user-only token) in a URL. */
export const MASK = "***";

/**
 * Masks the password of every URL with userinfo in `text`. A URL whose
 * userinfo has no `:` is masked whole, because `https://TOKEN@host` puts
 * the secret where the user name goes.
 *
 * @example
 * maskUrlCredentials("cannot reach postgres://app:hunter2@db:5432/app");
 * // "cannot reach postgres://app:***@db:5432/app"
 */
export function maskUrlCredentials(text: string): string {
  // Cheap test first: almost no log string contains a URL with userinfo.
  if (!text.includes("://") || !text.includes("@")) return text;
  return text.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return colon === -1 ? `${scheme}${MASK}@` : `${scheme}${userinfo.slice(0, colon)}:${MASK}@`;
  });
}
