import { maskUrlCredentials } from "../log/index.js";

/** Turns a message into one that is safe to show on an unauthenticated probe endpoint. */
export type Sanitize = (message: string) => string;

/** Probe bodies are read by people and dashboards; a long driver message is noise there. */
const MAX_OUTPUT_LENGTH = 300;

function describe(thrown: unknown): { label: string; message: string } {
  if (!(thrown instanceof Error)) {
    return { label: "Error", message: typeof thrown === "string" ? thrown : "non-error thrown" };
  }
  const code = (thrown as { code?: unknown }).code;
  // pg's DatabaseError is named "error"; its SQLSTATE (or a Node errno code) says more.
  const label = typeof code === "string" && code !== "" ? code : thrown.name || "Error";
  let message = thrown.message;
  // Node's happy-eyeballs connect fails with an AggregateError whose own message is empty.
  if (message === "" && thrown instanceof AggregateError) {
    const first: unknown = thrown.errors[0];
    if (first instanceof Error) return { label, message: describe(first).message };
  }
  if (message === "") message = "no message";
  return { label, message };
}

/**
 * A one-line description of a thrown value for a health body: the error code
 * (or class name) and its message, never a stack, passed through `sanitize`
 * and capped in length.
 *
 * @example
 * safeErrorMessage(Object.assign(new Error("db is gone"), { code: "ECONNREFUSED" }));
 * // "ECONNREFUSED: db is gone"
 */
export function safeErrorMessage(thrown: unknown, sanitize: Sanitize = maskUrlCredentials): string {
  const { label, message } = describe(thrown);
  // Node's errno messages already name their code ("connect ECONNREFUSED 10.0.0.7:5432").
  return safeOutput(message.includes(label) ? message : `${label}: ${message}`, sanitize);
}

/** Sanitises and caps a check's own output text. */
export function safeOutput(text: string, sanitize: Sanitize = maskUrlCredentials): string {
  const firstLine = text.split("\n", 1)[0] ?? "";
  const clean = sanitize(firstLine);
  return clean.length > MAX_OUTPUT_LENGTH ? `${clean.slice(0, MAX_OUTPUT_LENGTH - 1)}…` : clean;
}
