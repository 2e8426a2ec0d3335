/**
 * Object keys whose values are never logged, whatever the value. Matching
 * ignores case and `-`/`_`, so `X-Api-Key`, `x_api_key` and `xApiKey` are
 * the same key.
 */
export const DEFAULT_SECRET_KEYS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "auth_token",
  "x-auth-token",
  "bearer",
  "secret",
  "client_secret",
  "api_key",
  "apikey",
  "x-api-key",
  "private_key",
  "secret_key",
  "access_key",
  "session",
  "session_id",
  "credentials",
  "credential",
  "otp",
];

/**
 * Endings that make a key secret whatever comes before them (`dbPassword`,
 * `stripe_api_key`, `webhookSecret`, `csrfToken`). Short words such as `pwd`
 * or `session` only match whole keys: as endings they would catch ordinary
 * fields.
 */
export const SECRET_KEY_SUFFIXES: readonly string[] = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "privatekey",
  "secretkey",
  "accesskey",
  "credentials",
];

/**
 * The form keys are compared in: lower case without `-` and `_`.
 *
 * @example
 * normalizeKey("X-Api-Key"); // "xapikey"
 */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

/**
 * Builds a matcher for secret keys: the default list plus `extraKeys`
 * (matched as whole keys, in the same normalised form).
 *
 * @example
 * const isSecret = createSecretKeyMatcher(["x-shopify-hmac-sha256"]);
 * isSecret("clientSecret"); // true
 */
export function createSecretKeyMatcher(extraKeys: Iterable<string> = []): (key: string) => boolean {
  const exact = new Set([...DEFAULT_SECRET_KEYS, ...extraKeys].map(normalizeKey));
  return (key) => {
    const normal = normalizeKey(key);
    if (exact.has(normal)) return true;
    for (const suffix of SECRET_KEY_SUFFIXES) if (normal.endsWith(suffix)) return true;
    return false;
  };
}

/**
 * True when `key` is one of the default secret keys (see
 * `DEFAULT_SECRET_KEYS` and `SECRET_KEY_SUFFIXES`).
 *
 * @example
 * isSecretKey("AuThOrIzAtIoN"); // true
 * isSecretKey("orderId"); // false
 */
export const isSecretKey: (key: string) => boolean = createSecretKeyMatcher();
