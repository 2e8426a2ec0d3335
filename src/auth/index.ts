export { authPart } from "./auth-part.js";
export { authenticate, type AuthenticateOptions } from "./auth-middleware.js";
export { failureReason, type AuthFailureReason } from "./auth-failure.js";
export {
  BASIC_USER_PATTERN,
  createBasicCredentials,
  type BasicCredentials,
  type BasicCredentialsOptions,
} from "./basic-credentials.js";
export { createAuth, type Auth, type AuthConfig, type CreateAuthOptions } from "./create-auth.js";
export {
  DEVELOPMENT_AUDIENCE,
  DEVELOPMENT_ISSUER,
  isDevelopmentAuth,
  mintDevelopmentToken,
  type DevelopmentTokenConfig,
  type DevelopmentTokenOptions,
} from "./development-tokens.js";
export {
  createJwtVerifier,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  type JwtVerifier,
  type JwtVerifierOptions,
} from "./jwt-verifier.js";
export {
  ASYMMETRIC_ALGORITHMS,
  DEFAULT_JWKS_ALGORITHMS,
  HMAC_ALGORITHMS,
  type KeySource,
} from "./key-source.js";
export {
  hsSecretSource,
  MIN_HS_SECRET_BYTES,
  type HsSecretOptions,
} from "./key-sources/hs-secret.js";
export {
  jwksSource,
  type JwksSource,
  type JwksSourceOptions,
  type JwksStatus,
} from "./key-sources/jwks.js";
export {
  hashPassword,
  MIN_PASSWORD_LENGTH,
  parsePasswordHash,
  verifyPasswordHash,
  type PasswordHash,
} from "./password-hash.js";
export type { AuthChallenge, AuthEnv, AuthFailure, Principal } from "./principal.js";
export { DEFAULT_ROLES_CLAIM, rolesAt } from "./roles-claim.js";
export { requireAuth, requireRole } from "./route-guards.js";
