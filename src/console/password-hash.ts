// Password hashing moved to opskit/auth (HTTP Basic for service-to-service
// uses the same scrypt format); the console keeps importing it from here.
export {
  hashPassword,
  MIN_PASSWORD_LENGTH,
  parsePasswordHash,
  verifyPasswordHash,
  type PasswordHash,
} from "../auth/index.js";
