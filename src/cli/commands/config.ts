import { readFile, writeFile } from "node:fs/promises";
import {
  checkEnvExample,
  formatConfigReport,
  loadConfig,
  renderConfigDocs,
  renderEnvExample,
} from "../../config/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import { loadManifest } from "../load-manifest.js";

const manifestOption = { manifest: { type: "string" } } as const;

export const configCheck: Command = {
  name: "config check",
  summary: "Validate the current environment against the manifest, and .env.example against it",
  usage: `opskit config check [--manifest MODULE] [--env-example FILE] [--json]

Validates process.env: every missing, invalid and unknown variable in one
report (secret values are never printed). Then compares FILE (default
.env.example, when it exists) with what 'opskit config example' generates.
Exit 0 ok, 1 .env.example has drifted, 2 the environment is invalid.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...manifestOption,
      "env-example": { type: "string" },
      json: { type: "boolean" },
    });
    const manifest = await loadManifest(values.manifest);
    const result = loadConfig(manifest, process.env);
    const exampleFile = values["env-example"] ?? ".env.example";
    let exampleText: string | undefined;
    try {
      exampleText = await readFile(exampleFile, "utf8");
    } catch {
      if (values["env-example"] !== undefined) throw new UsageError(`Cannot read ${exampleFile}.`);
    }
    const drift = exampleText === undefined ? undefined : checkEnvExample(manifest, exampleText);
    if (values.json) {
      io.out(
        JSON.stringify({
          ok: result.ok && (drift?.ok ?? true),
          config: result.ok
            ? "valid"
            : (JSON.parse(formatConfigReport(result.report, "json")) as unknown),
          envExample: drift ?? null,
        }),
      );
    } else {
      io.out(result.ok ? "config: valid" : formatConfigReport(result.report, "text"));
      if (drift)
        io.out(
          drift.ok
            ? `${exampleFile}: up to date`
            : `${exampleFile}: drifted from the manifest\n${drift.message}\nRun: opskit config example --out ${exampleFile}`,
        );
    }
    if (!result.ok) return EXIT.usage;
    return drift && !drift.ok ? EXIT.failure : EXIT.ok;
  },
};

export const configExample: Command = {
  name: "config example",
  summary: "Write .env.example from the manifest (reproducible, secrets blank)",
  usage: `opskit config example [--manifest MODULE] [--out FILE]

Writes FILE (default .env.example; '-' for stdout), byte for byte the same
for the same manifest: descriptions as comments, secrets left blank.`,
  async run(args, io) {
    const { values } = parse(args, { ...manifestOption, out: { type: "string" } });
    const text = renderEnvExample(await loadManifest(values.manifest));
    const out = values.out ?? ".env.example";
    if (out === "-") io.out(text.replace(/\n$/, ""));
    else {
      await writeFile(out, text);
      io.err(`wrote ${out}`);
    }
    return EXIT.ok;
  },
};

export const configDocs: Command = {
  name: "config docs",
  summary: "Print the manifest as a Markdown table",
  usage: `opskit config docs [--manifest MODULE]`,
  async run(args, io) {
    const { values } = parse(args, manifestOption);
    io.out(renderConfigDocs(await loadManifest(values.manifest)).replace(/\n$/, ""));
    return EXIT.ok;
  },
};
