/** A tiny dependency-free SVG line chart: one or more series over a shared x axis. */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

const escapeXml = (text: string) =>
  text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);

export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Vertical markers (e.g. chaos events) at these x values, with labels. */
  markers?: { x: number; label: string }[];
  width?: number;
  height?: number;
}): string {
  const width = options.width ?? 900;
  const height = options.height ?? 360;
  const pad = { left: 70, right: 160, top: 36, bottom: 46 };
  const all = options.series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(x0 + 1, ...xs);
  const y0 = Math.min(0, ...ys);
  const y1 = Math.max(y0 + 1, ...ys) * 1.05;
  const px = (x: number) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const py = (y: number) =>
    height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const y = y0 + ((y1 - y0) * i) / 5;
    out.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${pad.left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${formatTick(y)}</text>`,
    );
    const x = x0 + ((x1 - x0) * i) / 5;
    out.push(
      `<text x="${px(x).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle">${formatTick(x)}</text>`,
    );
  }
  out.push(
    `<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#333"/>`,
    `<line x1="${pad.left}" x2="${width - pad.right}" y1="${height - pad.bottom}" y2="${height - pad.bottom}" stroke="#333"/>`,
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text x="16" y="${height / 2}" text-anchor="middle" transform="rotate(-90 16 ${height / 2})">${escapeXml(options.yLabel)}</text>`,
  );
  for (const m of options.markers ?? []) {
    out.push(
      `<line x1="${px(m.x).toFixed(1)}" x2="${px(m.x).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#bbb" stroke-dasharray="3,3"><title>${escapeXml(m.label)}</title></line>`,
    );
  }
  for (const [i, s] of options.series.entries()) {
    const color = COLORS[i % COLORS.length]!;
    if (s.points.length > 0) {
      const d = s.points
        .map((p, j) => `${j === 0 ? "M" : "L"}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`)
        .join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    }
    const ly = pad.top + 8 + i * 18;
    out.push(
      `<line x1="${width - pad.right + 10}" x2="${width - pad.right + 30}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${width - pad.right + 36}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function formatTick(v: number): string {
  if (Math.abs(v) >= 1000) return `${Math.round(v)}`;
  if (Math.abs(v) >= 10) return v.toFixed(0);
  return v.toFixed(1);
}
