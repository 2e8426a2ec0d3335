export {
  checkTimestamp,
  decodeSignature,
  DEFAULT_TOLERANCE_SECONDS,
  digestsEqual,
  hmac,
  matchSecret,
  type HmacAlgorithm,
  type KeyRule,
  type SignatureEncoding,
  type Verification,
  type Verifier,
  type VerifyFailureReason,
  type WebhookRequest,
} from "./verifier.js";
export * from "./verifiers/index.js";
