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
