import { defineErrorCodes } from "opskit/errors";

/**
 * The bakery's own error codes, registered beside the toolkit's: each keeps
 * its status and message in the HTTP error envelope.
 */
export const bakeryErrors = defineErrorCodes({
  INVALID_STAGE: {
    status: 409,
    summary: "A stage change out of order was refused; nothing changed.",
  },
});
