import { OpskitError } from "opskit/errors";
import { API_ROLES, type ServicePart } from "opskit/service";

/**
 * The bakery's write API answers only signed callers: in production it
 * refuses to start without a key to verify them (a development token is
 * minted only in development and test, see main.ts).
 */
export const authKeyRequired: ServicePart = {
  name: "bakery_auth_key",
  roles: API_ROLES,
  declare({ config }) {
    if (config.NODE_ENV !== "production") return;
    if (config.OPSKIT_AUTH_JWT_SECRET || config.OPSKIT_AUTH_JWKS_URL) return;
    throw new OpskitError(
      "AUTH_CONFIG_INVALID",
      "The bakery's write API needs a key in production: set OPSKIT_AUTH_JWT_SECRET (HS256, 32+ bytes) or OPSKIT_AUTH_JWKS_URL.",
    );
  },
};
