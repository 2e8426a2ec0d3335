/** One line of a diff: kept (` `), only in the old text (`-`), only in the new (`+`). */
export interface DiffLine {
  op: " " | "-" | "+";
  line: string;
}

// Past this many cells the LCS table is too big for a config file; the
// caller says "differs" without the detail.
const MAX_CELLS = 4_000_000;

/**
 * A line diff from the longest common subsequence. Hand-written because the
 * files compared are small and a diff dependency is not worth it for this.
 *
 * @example
 * diffLines(["a", "b"], ["a", "c"]); // [{op:" ",line:"a"},{op:"-",line:"b"},{op:"+",line:"c"}]
 */
export function diffLines(before: string[], after: string[]): DiffLine[] | undefined {
  const n = before.length;
  const m = after.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) return undefined;
  // lcs[i][j]: the LCS length of before[i..] and after[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] =
        before[i] === after[j]
          ? lcs[i + 1]![j + 1]! + 1
          : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push({ op: " ", line: before[i++]! });
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push({ op: "-", line: before[i++]! });
    } else {
      out.push({ op: "+", line: after[j++]! });
    }
  }
  return out;
}

/**
 * Hunks of changed lines with `context` kept lines around them, each headed
 * `@@ -line +line @@` (1-based line numbers in the old and new text).
 *
 * @example
 * formatHunks(diffLines(oldLines, newLines) ?? []).join("\n");
 */
export function formatHunks(diff: DiffLine[], context = 1): string[] {
  const out: string[] = [];
  let oldLine = 1;
  let newLine = 1;
  let lastShown = -1;
  const positions = diff.map((entry) => {
    const at = { oldLine, newLine };
    if (entry.op !== "+") oldLine++;
    if (entry.op !== "-") newLine++;
    return at;
  });
  diff.forEach((entry, index) => {
    const near = diff
      .slice(Math.max(0, index - context), index + context + 1)
      .some((other) => other.op !== " ");
    if (!near) return;
    if (index !== lastShown + 1) {
      const at = positions[index]!;
      out.push(`@@ -${at.oldLine} +${at.newLine} @@`);
    }
    out.push(`${entry.op}${entry.line}`);
    lastShown = index;
  });
  return out;
}
