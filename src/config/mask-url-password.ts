// The userinfo up to the last `@` before the path, as a URL parser splits it,
// so an `@` inside a password is masked whole. Kept here rather than imported
// from opskit/log so that config (which the logger is configured from) has no
// dependency on it.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi;

/**
 * Masks the password of every URL with userinfo in `text` (a user-only
 * userinfo is masked whole: `https://TOKEN@host` puts a token there).
 *
 * @example
 * maskUrlPassword("postgres://app:secret@db.internal:5432/app"); // "postgres://app:***@db.internal:5432/app"
 */
export function maskUrlPassword(text: string): string {
  return text.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return colon === -1 ? `${scheme}***@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
  });
}

/**
 * The password of a URL as written and percent-decoded (either can end up in
 * a log line), or nothing when it has none.
 *
 * @example
 * urlPasswords("postgres://app:p%40ss@db/app"); // ["p%40ss", "p@ss"]
 */
export function urlPasswords(text: string): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const raw = url.password;
  if (raw === "") return [];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // A malformed escape: the raw form is all there is.
  }
  return decoded === raw ? [raw] : [raw, decoded];
}
