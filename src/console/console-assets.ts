import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";
import type { ConsoleEnv } from "./console-router.js";

// The console's own script and stylesheet ship as files beside the source
// (package.json "files" lists the folder); from dist/ they are found in src/.
const ownAssets = fileURLToPath(
  new URL(
    import.meta.url.includes("/dist/") ? "../../../src/console/assets/" : "./assets/",
    import.meta.url,
  ),
);
const require = createRequire(import.meta.url);

const FILES: Record<string, { path: string; type: string }> = {
  "htmx.min.js": { path: require.resolve("htmx.org/dist/htmx.min.js"), type: "text/javascript" },
  "uPlot.iife.min.js": {
    path: require.resolve("uplot/dist/uPlot.iife.min.js"),
    type: "text/javascript",
  },
  "uPlot.min.css": { path: require.resolve("uplot/dist/uPlot.min.css"), type: "text/css" },
  "console.js": { path: `${ownAssets}console.js`, type: "text/javascript" },
  "console.css": { path: `${ownAssets}console.css`, type: "text/css" },
};

/**
 * Serves htmx, uPlot and the console's own script and styles from the
 * package (no CDN: the machines running a service often have no internet),
 * read once at startup.
 */
export function mountConsoleAssets(app: Hono<ConsoleEnv>): void {
  const loaded = Object.entries(FILES).map(([name, file]) => {
    const body = readFileSync(file.path);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
    return { name, body, etag, type: file.type };
  });
  for (const asset of loaded) {
    app.get(`/assets/${asset.name}`, (c) => {
      if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
      c.header("content-type", `${asset.type}; charset=utf-8`);
      c.header("etag", asset.etag);
      return c.body(new Uint8Array(asset.body));
    });
  }
}
