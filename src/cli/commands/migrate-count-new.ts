import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";

const run = promisify(execFile);

/**
 * The migrations a change adds to DIR: files `DIR/<name>.sql` and Prisma
 * folders `DIR/<name>/migration.sql` (the runner's layouts, see
 * readMigrationTexts) added between the merge base of BASE and HEAD.
 */
export async function newMigrations(o: { dir: string; base: string }): Promise<string[]> {
  // git runs in DIR itself: it finds the repository from there, wherever the CLI was started.
  const cwd = path.resolve(o.dir);
  const git = async (...args: string[]) => {
    try {
      return (await run("git", args, { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      if ((error as { code?: string }).code === "ENOENT")
        throw new UsageError(`Cannot run git in ${cwd}: no such folder, or git is not installed.`);
      throw new UsageError(`git ${args.join(" ")} failed: ${stderr || (error as Error).message}`);
    }
  };
  // DIR relative to the top of the repository, as `git diff` names paths ("" at the top).
  const dir = (await git("rev-parse", "--show-prefix")).trim().replace(/\/$/, "");
  // base...HEAD: what this branch added since it left BASE, not what BASE gained meanwhile.
  const out = await git(
    "diff",
    "--name-only",
    "--no-renames",
    "--diff-filter=A",
    "-z",
    `${o.base}...HEAD`,
    "--",
    ".", // a pathspec is relative to where git runs: DIR
  );
  const names = new Set<string>();
  for (const file of out.split("\0").filter(Boolean)) {
    const inside = dir === "" ? file : file.slice(dir.length + 1);
    const parts = inside.split("/");
    if (parts.length === 1 && inside.endsWith(".sql")) names.add(inside);
    if (parts.length === 2 && parts[1] === "migration.sql") names.add(parts[0]!);
  }
  return [...names].sort();
}

export const migrateCountNew: Command = {
  name: "migrate count-new",
  summary: "CI gate: fail when a change adds more than --max migrations (one per deploy)",
  usage: `opskit migrate count-new --dir DIR --base REF [--max 1] [--allow-more] [--format text|github] [--json]

Counts the migrations (DIR/*.sql, DIR/*/migration.sql) added between the merge
base of REF and HEAD (git diff REF...HEAD; in a pull request REF is
origin/<base branch>, fetched). One migration per deploy keeps each schema change
reversible by the next deploy and its lock short (docs/migrate.md).
--allow-more (set it from a pull-request label) turns the failure into a notice.
--format github prints the failure as a workflow annotation.
Exit 0 within the limit or allowed, 1 over it, 2 usage error (unknown REF, not a repository).`,
  async run(args, io) {
    const { values } = parse(args, {
      dir: { type: "string" },
      base: { type: "string" },
      max: { type: "string", default: "1" },
      "allow-more": { type: "boolean" },
      format: { type: "string", default: "text" },
      json: { type: "boolean" },
    });
    if (values.dir === undefined) throw new UsageError("Give --dir DIR.");
    if (values.base === undefined) throw new UsageError("Give --base REF (e.g. origin/main).");
    if (!/^\d+$/.test(values.max)) throw new UsageError("--max expects a whole number.");
    if (values.format !== "text" && values.format !== "github")
      throw new UsageError("--format expects text or github.");
    const max = Number(values.max);
    const added = await newMigrations({ dir: values.dir, base: values.base });
    const over = added.length > max;
    const allowed = over && (values["allow-more"] ?? false);
    const ok = !over || allowed;
    if (values.json) {
      io.out(JSON.stringify({ ok, max, allowed, added }));
      return ok ? EXIT.ok : EXIT.failure;
    }
    const list = added.map((name) => `  ${name}`).join("\n");
    const summary = `${added.length} new migration(s) in ${values.dir} since ${values.base} (limit ${max})`;
    if (!over) io.out(added.length ? `${summary}:\n${list}` : summary);
    else if (allowed) io.out(`${summary}, allowed by --allow-more:\n${list}`);
    else {
      const message = `${summary}: deploy them one at a time (split the change), or allow it with the override label.`;
      if (values.format === "github")
        io.out(`::error title=One migration per deploy::${message} New: ${added.join(", ")}`);
      io.err(`${message}\n${list}`);
    }
    return ok ? EXIT.ok : EXIT.failure;
  },
};
