import { errors } from "jose";
import { isOpskitError, OpskitError } from "../errors.js";

/**
 * The short reason a token was refused: logged (category `auth`) and sent as
 * the `error_description` of `WWW-Authenticate`. It names the rule that
 * failed, never a part of the token.
 */
export type AuthFailureReason =
  | "malformed"
  | "alg_not_allowed"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "missing_exp"
  | "missing_sub"
  | "wrong_issuer"
  | "wrong_audience"
  | "wrong_type"
  | "too_old"
  | "unknown_kid"
  | "ambiguous_kid"
  | "keys_unavailable"
  | "bad_credentials"
  | "invalid";

const CLAIMS: Record<string, AuthFailureReason> = {
  iss: "wrong_issuer",
  aud: "wrong_audience",
  nbf: "not_yet_valid",
  typ: "wrong_type",
  iat: "too_old",
};

/** Turns what jose (or a key source) threw into a reason. */
export function failureReason(thrown: unknown): AuthFailureReason {
  if (isOpskitError(thrown, "DEPENDENCY_FAILURE")) return "keys_unavailable";
  if (thrown instanceof errors.JWTExpired) return "expired";
  if (thrown instanceof errors.JWTClaimValidationFailed) {
    if (thrown.reason === "missing" && thrown.claim === "exp") return "missing_exp";
    if (thrown.reason === "missing" && thrown.claim === "sub") return "missing_sub";
    return CLAIMS[thrown.claim] ?? "invalid";
  }
  if (thrown instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (thrown instanceof errors.JOSEAlgNotAllowed || thrown instanceof errors.JOSENotSupported)
    return "alg_not_allowed";
  if (thrown instanceof errors.JWKSNoMatchingKey) return "unknown_kid";
  if (thrown instanceof errors.JWKSMultipleMatchingKeys) return "ambiguous_kid";
  if (thrown instanceof errors.JWSInvalid || thrown instanceof errors.JWTInvalid)
    return "malformed";
  return "invalid";
}

/** The error a refused token becomes: 401 `UNAUTHORIZED`, the reason in `details`. */
export function unauthorized(reason: AuthFailureReason, cause?: unknown): OpskitError {
  return new OpskitError("UNAUTHORIZED", `The credentials were refused (${reason}).`, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}
