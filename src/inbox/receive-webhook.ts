import { createHash } from "node:crypto";
import { isDependencyFailure, mapDbError } from "../db/index.js";
import { ERROR_CODES, type ErrorCode } from "../errors.js";
import type { Logger } from "../log/index.js";
import type { Source } from "./define-source.js";
import { describeRule, readKey } from "./event-keys.js";
import type { EventWriter, WriteResult } from "./event-writer.js";
import type { InboxMetrics } from "./inbox-metrics.js";
import { maskHeaders } from "./mask-headers.js";
import { readCappedBody } from "./read-body.js";
import type { RejectionRecorder } from "./rejection-recorder.js";

/** A webhook request in any framework's terms. */
export interface IncomingWebhook {
  /** The `:source` path segment. */
  source: string;
  /** Every request header (names in any case). */
  headers: Iterable<[string, string]>;
  /** The raw body: a web or Node stream, or bytes a framework already read raw. */
  body: AsyncIterable<Uint8Array> | Buffer | null | undefined;
  requestId: string;
  /** The server's own body cap, when it is lower than the source's. */
  maxBodyBytes?: number | undefined;
}

/** The answer to send: status, JSON body, and `Retry-After` for a 503. */
export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
  retryAfterSeconds?: number;
}

export interface ReceiverDeps {
  sources: ReadonlyMap<string, Source>;
  writer: EventWriter;
  recorder: RejectionRecorder;
  metrics: InboxMetrics;
  log: Logger;
  /** How long a request may wait for its commit before it is answered 503; default 4 s. */
  storeTimeoutMs: number;
  now: () => number;
}

const RETRY_AFTER_SECONDS = 5;

/**
 * The inbox's request path, framework-neutral: find the source (404), read
 * the raw bytes under the cap (413, before any hashing), verify them (401;
 * the reason goes to the log and the rejections ring, never to the client),
 * derive the dedupe key, topic and ordering key, and store the event with
 * its job; answer 2xx only after the commit. A duplicate answers 2xx and
 * changes nothing. A verified body that is unusable (not JSON where JSON is
 * required, no dedupe key) is stored as rejected and answered 400. When the
 * database is down or the writer saturated: 503 with Retry-After.
 */
export async function receiveWebhook(
  deps: ReceiverDeps,
  request: IncomingWebhook,
): Promise<WebhookResponse> {
  const headers = new Map<string, string>();
  for (const [name, value] of request.headers) headers.set(name.toLowerCase(), value);
  const header = (name: string) => headers.get(name.toLowerCase());
  const source = deps.sources.get(request.source);
  const refuse = (
    sourceName: string,
    code: ErrorCode,
    reason: string,
    detail: string,
    bodyBytes: number | null,
    deliveryId: string | null,
  ): WebhookResponse => {
    const status = ERROR_CODES[code].status;
    deps.log.warn({ source: sourceName, reason, detail, status }, "webhook refused");
    deps.recorder.record({
      source: sourceName,
      reason,
      detail,
      httpStatus: status,
      bodyBytes,
      deliveryId,
      userAgent: header("user-agent") ?? null,
    });
    return errorResponse(code, ERROR_CODES[code].summary, request.requestId);
  };

  if (!source) {
    deps.metrics.request("(unknown)", "unknown_source");
    return refuse(
      request.source.slice(0, 64),
      "NOT_FOUND",
      "unknown_source",
      "no such source",
      null,
      null,
    );
  }
  const deliveryId = () => {
    const rule = source.dedupeKey;
    return "header" in rule ? (header(rule.header) ?? null) : null;
  };
  const maxBodyBytes = Math.min(source.maxBodyBytes, request.maxBodyBytes ?? Infinity);
  const read = Buffer.isBuffer(request.body)
    ? request.body.length > maxBodyBytes
      ? ({ ok: false, bytesSeen: request.body.length } as const)
      : ({ ok: true, body: request.body } as const)
    : await readCappedBody(request.body, maxBodyBytes, header("content-length"));
  if (!read.ok) {
    deps.metrics.request(source.name, "too_large");
    return refuse(
      source.name,
      "PAYLOAD_TOO_LARGE",
      "too_large",
      `over ${maxBodyBytes} bytes`,
      read.bytesSeen,
      deliveryId(),
    );
  }
  const body = read.body;
  const receivedAt = deps.now();
  const verification = source.verifier.verify({ body, header, receivedAt });
  if (!verification.ok) {
    deps.metrics.request(source.name, "unverified");
    deps.metrics.unverified(source.name, verification.reason);
    return refuse(
      source.name,
      "WEBHOOK_UNVERIFIED",
      verification.reason,
      verification.detail,
      body.length,
      deliveryId(),
    );
  }

  const rules = [source.dedupeKey, source.topic, source.orderingKey];
  const wantsJson = source.json || rules.some((rule) => rule !== undefined && "json" in rule);
  // The body's text once JSON.parse accepted it: keys are read from the text
  // itself (readKey), never from parsed numbers, which lose digits past 2^53.
  let json: string | undefined;
  let rejectReason: string | null = null;
  if (wantsJson) {
    const text = body.toString("utf8");
    try {
      JSON.parse(text);
      json = text;
    } catch {
      if (source.json) rejectReason = "the body is not JSON";
    }
  }
  let dedupeKey = readKey(source.dedupeKey, header, json);
  if (dedupeKey === undefined) {
    rejectReason ??= `no usable dedupe key (${describeRule(source.dedupeKey)})`;
    // Still unique per body, so a retry of the same bytes is a duplicate.
    dedupeKey = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  }
  const started = performance.now();
  let outcome: WriteResult | "timeout";
  try {
    outcome = await withTimeout(
      deps.writer.write({
        source: source.name,
        dedupeKey,
        topic: source.topic ? (readKey(source.topic, header, json) ?? null) : null,
        orderingKey: source.orderingKey
          ? (readKey(source.orderingKey, header, json) ?? null)
          : null,
        status: rejectReason === null ? "pending" : "rejected",
        rejectReason,
        headers: maskHeaders(headers, source.verifier.signatureHeaders),
        body,
        secretIndex: verification.secretIndex,
        signedAt: verification.signedAt ?? null,
      }),
      deps.storeTimeoutMs,
    );
  } catch (error) {
    if (!isDependencyFailure(error)) throw error;
    deps.metrics.request(source.name, "unavailable");
    deps.log.warn(
      { source: source.name, err: mapDbError(error) },
      "webhook not stored: database unavailable",
    );
    return errorResponse(
      "DEPENDENCY_FAILURE",
      ERROR_CODES.DEPENDENCY_FAILURE.summary,
      request.requestId,
    );
  }
  if (outcome === "timeout" || outcome.kind === "busy") {
    deps.metrics.request(source.name, "busy");
    const why = outcome === "timeout" ? "timeout" : "queue full";
    deps.log.warn({ source: source.name, why }, "webhook not stored: inbox busy");
    return errorResponse("INBOX_BUSY", ERROR_CODES.INBOX_BUSY.summary, request.requestId);
  }
  deps.metrics.storeSeconds((performance.now() - started) / 1000);
  if (outcome.kind === "duplicate") {
    deps.metrics.request(source.name, "duplicate");
    return { status: 200, body: { received: true, duplicate: true } };
  }
  if (rejectReason !== null) {
    deps.metrics.request(source.name, "rejected");
    deps.log.warn(
      { source: source.name, event_id: outcome.id, reason: rejectReason },
      "webhook stored as rejected",
    );
    return errorResponse("BAD_REQUEST", `Stored as rejected: ${rejectReason}.`, request.requestId);
  }
  deps.metrics.request(source.name, "stored");
  return { status: 200, body: { received: true, duplicate: false, id: outcome.id } };
}

function errorResponse(code: ErrorCode, message: string, requestId: string): WebhookResponse {
  const status = ERROR_CODES[code].status;
  return {
    status,
    body: { error: { code, message, requestId } },
    ...(status === 503 ? { retryAfterSeconds: RETRY_AFTER_SECONDS } : {}),
  };
}

// Answering 503 while the write may still commit is safe: the sender retries,
// and the retry is a duplicate. Answering 2xx before the commit never is.
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
