import type { Readable } from "node:stream";

/** A body read under a cap: the bytes, or how far it got before the cap was hit. */
export type CappedBody = { ok: true; body: Buffer } | { ok: false; bytesSeen: number };

/**
 * Reads a request body into one buffer, stopping as soon as it passes
 * `maxBytes` (so an oversized body is refused before anything is hashed and
 * without holding it all in memory). A declared `Content-Length` over the
 * cap is refused before reading at all. Accepts a web stream (Hono, fetch)
 * or a Node stream (`IncomingMessage`), which are both async iterables.
 */
export async function readCappedBody(
  stream: AsyncIterable<Uint8Array> | null | undefined,
  maxBytes: number,
  declaredLength?: string,
): Promise<CappedBody> {
  const declared = declaredLength === undefined ? NaN : Number(declaredLength);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, bytesSeen: declared };
  if (!stream) return { ok: true, body: Buffer.alloc(0) };
  if (isNodeStream(stream)) return readNodeStream(stream, maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    // Leaving the loop early closes the stream (return() on the iterator).
    if (size > maxBytes) return { ok: false, bytesSeen: size };
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return { ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) };
}

function isNodeStream(
  stream: AsyncIterable<Uint8Array>,
): stream is Readable & AsyncIterable<Uint8Array> {
  return typeof (stream as Partial<Readable>).on === "function" && "readableEnded" in stream;
}

// A Node stream read through its events: its async iterator costs a promise
// and more per chunk, measurable on a busy webhook route.
function readNodeStream(stream: Readable, maxBytes: number): Promise<CappedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish();
        // Stop holding the bytes; what is left is discarded (Node's server
        // drains it once the answer is sent, so the connection stays usable).
        stream.resume();
        resolve({ ok: false, bytesSeen: size });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      finish();
      resolve({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    };
    const onError = (error: Error) => {
      finish();
      reject(error);
    };
    const onClose = () => {
      finish();
      reject(new Error("The request was closed before its body was read."));
    };
    const finish = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.off("close", onClose);
    };
    if (stream.readableEnded) {
      resolve({ ok: true, body: Buffer.alloc(0) });
      return;
    }
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
    stream.on("close", onClose);
  });
}
