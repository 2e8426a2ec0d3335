/** Where a long backup or drill is, for a terminal's progress line (never for logic). */
export interface BackupProgress {
  /** `dump`, `count`, `checksum`, `server`, `restore`, `checks`. */
  phase: string;
  /** Bytes written (dump) or read (restore) so far. */
  bytes: number;
  /** Tables done in this phase. */
  tables: number;
  elapsedMs: number;
}

export type OnProgress = (progress: BackupProgress) => void;
