/**
 * Positions in a migration's text. libpg-query works on UTF-8: statement and
 * node locations are BYTE offsets, and a syntax error's cursor is a 0-based
 * CODE POINT index (Postgres counts characters for error positions). Editors,
 * SARIF and JavaScript strings count UTF-16 units; this converts between them.
 */
export interface SourcePosition {
  /** UTF-16 offset in the text. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 units (what editors and SARIF count). */
  column: number;
}

export interface SourceText {
  readonly text: string;
  /** UTF-16 offset of a UTF-8 byte offset (a byte inside a character maps to its start). */
  offsetOfByte(byte: number): number;
  /** UTF-16 offset of a code point index. */
  offsetOfCodePoint(index: number): number;
  /** Line and column of a UTF-16 offset. */
  position(offset: number): SourcePosition;
}

/**
 * @example
 * const source = createSourceText("-- é\nselect 1");
 * source.position(source.offsetOfByte(6)); // { offset: 5, line: 2, column: 1 }
 */
export function createSourceText(text: string): SourceText {
  const ascii = Buffer.byteLength(text, "utf8") === text.length;
  let byteMap: Uint32Array | undefined;
  let codePointMap: Uint32Array | undefined;
  let lineStarts: number[] | undefined;

  function buildMaps(): void {
    // One pass over the code points; a lone surrogate is 3 bytes in UTF-8 as
    // emscripten's stringToUTF8 writes it (and as Buffer.byteLength counts it).
    const bytes = new Uint32Array(Buffer.byteLength(text, "utf8") + 1);
    const points: number[] = [];
    let b = 0;
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i) ?? 0;
      const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (let k = 0; k < size; k++) bytes[b + k] = i;
      points.push(i);
      b += size;
      i += cp > 0xffff ? 2 : 1;
    }
    bytes[b] = text.length;
    points.push(text.length);
    byteMap = bytes;
    codePointMap = Uint32Array.from(points);
  }

  return {
    text,
    offsetOfByte(byte) {
      if (ascii) return Math.min(byte, text.length);
      if (!byteMap) buildMaps();
      return byteMap![Math.min(byte, byteMap!.length - 1)]!;
    },
    offsetOfCodePoint(index) {
      if (ascii) return Math.min(index, text.length);
      if (!codePointMap) buildMaps();
      return codePointMap![Math.min(index, codePointMap!.length - 1)]!;
    },
    position(offset) {
      if (!lineStarts) {
        lineStarts = [0];
        for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1))
          lineStarts.push(i + 1);
      }
      let lo = 0;
      let hi = lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (lineStarts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
      }
      return { offset, line: lo + 1, column: offset - lineStarts[lo]! + 1 };
    },
  };
}
