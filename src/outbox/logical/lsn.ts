/**
 * Postgres WAL positions (`pg_lsn`, written `16/B374D848`) as bigints, so
 * they compare and subtract exactly (a 64-bit position does not fit a
 * double).
 *
 * @example
 * parseLsn("0/16B3748") < parseLsn("1/0"); // true
 * formatLsn(parseLsn("16/B374D848")); // "16/B374D848"
 */
export type Lsn = bigint;

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function parseLsn(text: string): Lsn {
  const match = LSN.exec(text);
  if (!match) throw new Error(`"${text}" is not a WAL position (like 16/B374D848)`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  const high = (lsn >> 32n) & 0xffffffffn;
  const low = lsn & 0xffffffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}
