import { createHash } from "node:crypto";

/**
 * An alert's identity: its label set, sorted, hashed (16 hex digits, as
 * Alertmanager's fingerprints). The same labels give the same fingerprint on
 * every node, so a new leader finds the incidents of the last one.
 */
export function fingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join("\u0001");
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Alertmanager's group key shape: `{}:{alertname="JobsStuck"}`. */
export function groupKeyOf(groupLabels: Record<string, string>): string {
  const inner = Object.keys(groupLabels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(groupLabels[k])}`)
    .join(",");
  return `{}:{${inner}}`;
}
