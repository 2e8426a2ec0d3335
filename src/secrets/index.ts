export { createKeyRing, type KeyRing, type SecretKey } from "./key-ring.js";
export { fingerprint, lastFour } from "./mask-secret.js";
export {
  ROTATE_SECRETS_TASK,
  rotateSecretsTask,
  type RotateSecretsOptions,
  type RotationCheckpoint,
} from "./rotate-secrets.js";
export {
  configuredSecrets,
  secretAgeGauge,
  secretFingerprint,
  type ConfiguredSecret,
} from "./secret-ages.js";
export {
  createSecretBox,
  ENVELOPE_VERSION,
  type SecretBox,
  type SecretPlace,
} from "./secret-box.js";
export { type SecretColumn } from "./secret-column.js";
export { secretValue, type SecretValue } from "./secret-value.js";
export {
  createSecretsAdmin,
  type SecretsAdmin,
  type SecretsAdminOptions,
  type SecretsStatus,
} from "./secrets-admin.js";
export { declareSecretColumns, secretsPart, type SecretsPartOptions } from "./secrets-part.js";
