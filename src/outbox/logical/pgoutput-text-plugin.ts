import { PgoutputPlugin, type Pgoutput } from "pg-logical-replication";

/**
 * The library's pgoutput plugin with two changes the outbox needs:
 *
 * - Column values stay the text Postgres sent. The library runs each value
 *   through pg's global type parsers, and `JSON.parse` of a jsonb payload
 *   rounds integers beyond 2^53; the relay hands the payload on as the bytes
 *   the producer committed, so it must never be re-encoded. pgoutput (proto
 *   1) always sends text, so the raw value is exact for every type.
 * - It counts the messages it has parsed. Parsing happens as bytes arrive,
 *   while handling (flow control) runs behind it: a keepalive's position is
 *   only safe to confirm once every message parsed before it was handled
 *   (see logical-outbox-reader.ts).
 */
export class PgoutputTextPlugin extends PgoutputPlugin {
  /** XLogData messages parsed so far (handled in this order). */
  parsed = 0;

  constructor(publication: string) {
    super({ protoVersion: 1, publicationNames: [publication] });
  }

  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    this.parsed++;
    if (message.tag === "relation") {
      // The parser caches this object and reads later tuples through its
      // columns' parsers: replacing them here (before the next message is
      // parsed) keeps every value of this relation as text.
      for (const column of message.columns) column.parser = keepText;
    }
    return message;
  }
}

function keepText(raw: unknown): unknown {
  return raw;
}
