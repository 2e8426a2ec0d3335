/**
 * Fills `{{ $labels.name }}` and `{{ $value }}` in a summary or description,
 * the subset of Prometheus' template language that the built-in pack uses, so
 * one text serves both the in-service rules and the Prometheus rule file.
 * An unknown label renders empty, as in Prometheus.
 *
 * @example
 * renderTemplate("{{ $value }} stuck in {{ $labels.queue }}", { queue: "mail" }, 3); // "3 stuck in mail"
 */
export function renderTemplate(
  text: string,
  labels: Record<string, string>,
  value: number,
): string {
  return text.replace(
    /\{\{\s*\$(labels\.([a-zA-Z_][a-zA-Z0-9_]*)|value)\s*\}\}/g,
    (_m, _w, label?: string) => (label === undefined ? formatValue(value) : (labels[label] ?? "")),
  );
}

/** Values as people read them: integers as is, others to 3 significant digits. */
export function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}
