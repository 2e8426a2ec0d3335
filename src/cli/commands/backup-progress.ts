import type { OnProgress } from "../../backup/index.js";

/**
 * A one-line progress display on stderr (phase, bytes, tables, elapsed,
 * rate), redrawn in place — only when stderr is a terminal and the output
 * is not `--json`: a log file or a pipe gets no control characters.
 */
export function terminalProgress(json: boolean | undefined): {
  onProgress: OnProgress | undefined;
  done: () => void;
} {
  const stderr = process.stderr;
  if (json || !stderr.isTTY) return { onProgress: undefined, done: () => undefined };
  let drawn = false;
  return {
    onProgress: (p) => {
      const seconds = p.elapsedMs / 1000;
      const rate = seconds > 0 ? p.bytes / seconds : 0;
      stderr.write(
        `\r\x1b[K${p.phase}: ${mib(p.bytes)}, ${p.tables} tables, ${seconds.toFixed(1)} s, ${mib(rate)}/s`,
      );
      drawn = true;
    },
    done: () => {
      if (drawn) stderr.write("\r\x1b[K");
    },
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
