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
