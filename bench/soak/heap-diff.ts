/**
 * Compares two V8 heap snapshots of the same process (a soak's early and late
 * snapshot, SOAK_HEAP_SNAPSHOTS): what grew, by constructor (count, self size,
 * retained size), and which single objects' retained size grew most (matched
 * by V8's snapshot object id, stable within a process), with the path that
 * keeps each alive.
 *
 *   node --import tsx bench/soak/heap-diff.ts early.heapsnapshot late.heapsnapshot [--top 25]
 *
 * The format is V8's documented `.heapsnapshot` JSON (the one Chrome's
 * DevTools reads): flat `nodes` and `edges` arrays described by
 * `snapshot.meta`. Retained sizes come from the dominator tree (weak edges
 * do not retain), computed with Cooper, Harvey and Kennedy's iterative
 * algorithm.
 */
import { readFile } from "node:fs/promises";

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

export interface Heap {
  count: number;
  type: string[];
  name: string[];
  id: Float64Array;
  self: Float64Array;
  retained: Float64Array;
  /** The class a node is counted under: an object's constructor, or "(string)", "(closure) f"… */
  key: string[];
  /** Immediate dominator (node index); the root's is itself. -1: unreachable. */
  idom: Int32Array;
  /** For each node, one retainer on a shortest path from the root (node, edge name), -1 for none. */
  parent: Int32Array;
  parentEdge: string[];
}

export async function readHeap(file: string): Promise<Heap> {
  const raw = JSON.parse(await readFile(file, "utf8")) as {
    snapshot: { meta: Meta; node_count: number };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const fType = meta.node_fields.indexOf("type");
  const fName = meta.node_fields.indexOf("name");
  const fId = meta.node_fields.indexOf("id");
  const fSelf = meta.node_fields.indexOf("self_size");
  const fEdges = meta.node_fields.indexOf("edge_count");
  const eType = meta.edge_fields.indexOf("type");
  const eName = meta.edge_fields.indexOf("name_or_index");
  const eTo = meta.edge_fields.indexOf("to_node");
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const weak = edgeTypes.indexOf("weak");
  const shortcut = edgeTypes.indexOf("shortcut");
  const count = raw.nodes.length / nf;
  const type: string[] = new Array<string>(count);
  const name: string[] = new Array<string>(count);
  const key: string[] = new Array<string>(count);
  const id = new Float64Array(count);
  const self = new Float64Array(count);
  const firstEdge = new Int32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    const t = nodeTypes[raw.nodes[i * nf + fType]!]!;
    const n = raw.strings[raw.nodes[i * nf + fName]!]!;
    type[i] = t;
    name[i] = n;
    id[i] = raw.nodes[i * nf + fId]!;
    self[i] = raw.nodes[i * nf + fSelf]!;
    firstEdge[i] = e;
    e += raw.nodes[i * nf + fEdges]!;
    firstEdge[i + 1] = e;
    key[i] =
      t === "object" || t === "native"
        ? n
        : t === "closure"
          ? `(closure) ${n || "anonymous"}`
          : t.includes("string")
            ? "(string)"
            : t === "array"
              ? `(array) ${n}`
              : `(${t})`;
  }
  const edgeCount = raw.edges.length / ef;
  const to = new Int32Array(edgeCount);
  const strong = new Uint8Array(edgeCount);
  const edgeName = (k: number): string => {
    const t = edgeTypes[raw.edges[k * ef + eType]!]!;
    const v = raw.edges[k * ef + eName]!;
    return t === "element" || t === "hidden" ? `[${v}]` : raw.strings[v]!;
  };
  for (let k = 0; k < edgeCount; k++) {
    to[k] = raw.edges[k * ef + eTo]! / nf;
    const t = raw.edges[k * ef + eType]!;
    strong[k] = t === weak || t === shortcut ? 0 : 1;
  }
  // Depth-first postorder from the root (node 0) over strong edges.
  const post = new Int32Array(count).fill(-1);
  const order: number[] = [];
  const visited = new Uint8Array(count);
  const stack: number[] = [0];
  const cursor = new Int32Array(count);
  visited[0] = 1;
  for (let i = 0; i < count; i++) cursor[i] = firstEdge[i]!;
  while (stack.length) {
    const n = stack[stack.length - 1]!;
    let pushed = false;
    while (cursor[n]! < firstEdge[n + 1]!) {
      const k = cursor[n]!++;
      if (!strong[k]) continue;
      const m = to[k]!;
      if (!visited[m]) {
        visited[m] = 1;
        stack.push(m);
        pushed = true;
        break;
      }
    }
    if (!pushed) {
      stack.pop();
      post[n] = order.length;
      order.push(n);
    }
  }
  // Predecessors (strong edges from reachable nodes), in CSR form.
  const predCount = new Int32Array(count + 1);
  for (let n = 0; n < count; n++) {
    if (!visited[n]) continue;
    for (let k = firstEdge[n]!; k < firstEdge[n + 1]!; k++) if (strong[k]) predCount[to[k]! + 1]!++;
  }
  for (let i = 0; i < count; i++) predCount[i + 1]! += predCount[i]!;
  const preds = new Int32Array(predCount[count]!);
  const fill = predCount.slice(0, count);
  for (let n = 0; n < count; n++) {
    if (!visited[n]) continue;
    for (let k = firstEdge[n]!; k < firstEdge[n + 1]!; k++) {
      if (strong[k]) preds[fill[to[k]!]!++] = n;
    }
  }
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (post[a]! < post[b]!) a = idom[a]!;
      while (post[b]! < post[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let r = order.length - 1; r >= 0; r--) {
      const n = order[r]!;
      if (n === 0) continue;
      let next = -1;
      for (let p = predCount[n]!; p < predCount[n + 1]!; p++) {
        const q = preds[p]!;
        if (idom[q] === -1) continue;
        next = next === -1 ? q : intersect(q, next);
      }
      if (next !== -1 && idom[n] !== next) {
        idom[n] = next;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(count);
  for (const n of order) retained[n] = self[n]!;
  for (const n of order) {
    const d = idom[n]!;
    if (n !== 0 && d >= 0) retained[d] = retained[d]! + retained[n]!;
  }
  // Shortest retainer paths (breadth-first over strong edges).
  const parent = new Int32Array(count).fill(-1);
  const parentEdge: string[] = new Array<string>(count);
  const seen = new Uint8Array(count);
  seen[0] = 1;
  let queue = [0];
  while (queue.length) {
    const next: number[] = [];
    for (const n of queue) {
      for (let k = firstEdge[n]!; k < firstEdge[n + 1]!; k++) {
        if (!strong[k]) continue;
        const m = to[k]!;
        if (seen[m]) continue;
        seen[m] = 1;
        parent[m] = n;
        parentEdge[m] = edgeName(k);
        next.push(m);
      }
    }
    queue = next;
  }
  return { count, type, name, id, self, retained, key, idom, parent, parentEdge };
}

export interface ClassRow {
  key: string;
  count: [number, number];
  self: [number, number];
  /** Retained by the instances no other instance of the class dominates. */
  retained: [number, number];
}

/** Per class: count, self size and (outermost instances') retained size in each snapshot. */
export function byClass(a: Heap, b: Heap): ClassRow[] {
  const rows = new Map<string, ClassRow>();
  for (const [side, h] of [a, b].entries()) {
    for (let n = 0; n < h.count; n++) {
      if (h.idom[n] === -1) continue; // unreachable: garbage the next GC frees
      const k = h.key[n]!;
      let row = rows.get(k);
      if (!row) rows.set(k, (row = { key: k, count: [0, 0], self: [0, 0], retained: [0, 0] }));
      row.count[side]!++;
      row.self[side]! += h.self[n]!;
      let d = h.idom[n]!;
      while (d !== 0 && h.key[d] !== k) d = h.idom[d]!;
      if (d === 0) row.retained[side]! += h.retained[n]!;
    }
  }
  return [...rows.values()];
}

export interface ObjectGrowth {
  id: number;
  key: string;
  retained: [number, number];
  path: string;
}

/** Objects in both snapshots (same id) whose retained size grew most, with a retainer path. */
export function growingObjects(a: Heap, b: Heap, top: number): ObjectGrowth[] {
  const inA = new Map<number, number>();
  for (let n = 0; n < a.count; n++) if (a.idom[n] !== -1) inA.set(a.id[n]!, n);
  const rows: ObjectGrowth[] = [];
  for (let n = 0; n < b.count; n++) {
    const m = inA.get(b.id[n]!);
    if (m === undefined || b.idom[n] === -1 || b.type[n] === "synthetic") continue;
    rows.push({
      id: b.id[n]!,
      key: b.key[n]!,
      retained: [a.retained[m]!, b.retained[n]!],
      path: "",
    });
  }
  rows.sort((x, y) => y.retained[1] - y.retained[0] - (x.retained[1] - x.retained[0]));
  // Keep the innermost of nested growers: a grower whose growth a listed one explains adds nothing.
  const out = rows.slice(0, top);
  const index = new Map<number, number>();
  for (let n = 0; n < b.count; n++) index.set(b.id[n]!, n);
  for (const row of out) row.path = retainerPath(b, index.get(row.id)!);
  return out;
}

export function retainerPath(h: Heap, n: number, depth = 12): string {
  const parts: string[] = [];
  for (let cur = n, i = 0; cur > 0 && i < depth; cur = h.parent[cur]!, i++) {
    const edge = h.parentEdge[cur];
    parts.push(`${h.key[cur]}${edge === undefined ? "" : ` ←${edge}`}`);
  }
  return parts.join(" ← ");
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)}`;

export function renderDiff(a: Heap, b: Heap, top = 25): string {
  const classes = byClass(a, b);
  const lines: string[] = [];
  const total = (h: Heap) => {
    let s = 0;
    for (let n = 0; n < h.count; n++) if (h.idom[n] !== -1) s += h.self[n]!;
    return s;
  };
  lines.push(
    `reachable heap: ${kb(total(a))} kB → ${kb(total(b))} kB (${kb(total(b) - total(a))} kB); nodes ${a.count} → ${b.count}`,
    "",
    `| class (by self size growth) | count | Δ count | self kB | Δ self kB | retained kB | Δ retained kB |`,
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  const row = (r: ClassRow) =>
    `| ${r.key.replaceAll("|", "\\|").slice(0, 60)} | ${r.count[0]} → ${r.count[1]} | ${r.count[1] - r.count[0]} | ${kb(r.self[0])} → ${kb(r.self[1])} | ${kb(r.self[1] - r.self[0])} | ${kb(r.retained[0])} → ${kb(r.retained[1])} | ${kb(r.retained[1] - r.retained[0])} |`;
  for (const r of [...classes]
    .sort((x, y) => y.self[1] - y.self[0] - (x.self[1] - x.self[0]))
    .slice(0, top))
    lines.push(row(r));
  lines.push(
    "",
    "| class (by count growth) | count | Δ count | self kB | Δ self kB | retained kB | Δ retained kB |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const r of [...classes]
    .sort((x, y) => y.count[1] - y.count[0] - (x.count[1] - x.count[0]))
    .slice(0, top))
    lines.push(row(r));
  lines.push(
    "",
    "| object (same id in both) | retained kB | Δ kB | kept alive by |",
    "| --- | --- | --- | --- |",
  );
  for (const o of growingObjects(a, b, top)) {
    lines.push(
      `| @${o.id} ${o.key.replaceAll("|", "\\|").slice(0, 50)} | ${kb(o.retained[0])} → ${kb(o.retained[1])} | ${kb(o.retained[1] - o.retained[0])} | ${o.path.replaceAll("|", "\\|").slice(0, 400)} |`,
    );
  }
  return lines.join("\n") + "\n";
}

const invokedDirectly = process.argv[1]?.endsWith("heap-diff.ts");
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf("--top");
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  const files = args.filter((_, i) => topAt < 0 || (i !== topAt && i !== topAt + 1));
  if (files.length !== 2 || !(top > 0)) {
    process.stderr.write("usage: heap-diff.ts early.heapsnapshot late.heapsnapshot [--top N]\n");
    process.exit(2);
  }
  const [a, b] = await Promise.all(files.map((f) => readHeap(f)));
  process.stdout.write(renderDiff(a!, b!, top));
}
