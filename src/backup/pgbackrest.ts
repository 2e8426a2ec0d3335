import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { OpskitError } from "../errors.js";
import { runTool, tail } from "./pg-tools.js";
import { runAsPostgres } from "./run-as-postgres.js";

/** The parts of `pgbackrest info --output=json` a drill and a monitor read. */
export interface PgBackRestInfo {
  /** `ok` when the stanza, repository and archive are healthy (pgBackRest's status code 0). */
  status: { code: number; message: string };
  backups: {
    label: string;
    type: "full" | "diff" | "incr";
    startedAt: Date;
    stoppedAt: Date;
    lsn: { start: string; stop: string };
  }[];
  /** The WAL segments in the repository: the recovery window runs to the newest. */
  archive: { min: string | null; max: string | null };
}

/**
 * opskit's handle on pgBackRest (Debian's `pgbackrest`): it drives the
 * tool, it does not reimplement it. One stanza, a repository described by a
 * `pgbackrest.conf`; every command runs as the server's user (the archive
 * and the repository must stay readable by `archive_command`).
 *
 * @example
 * const pbr = createPgBackRest({ stanza: "main", configFile: "/etc/pgbackrest.conf" });
 * await pbr.stanzaCreate(); await pbr.check(); await pbr.backup("full");
 * console.log((await pbr.info()).backups.at(-1)?.label);
 */
export interface PgBackRest {
  readonly stanza: string;
  readonly configFile: string;
  /** What the server's `archive_command` must be. */
  readonly archiveCommand: string;
  stanzaCreate(): Promise<void>;
  /** `pgbackrest check`: the archive works end to end (it forces a WAL switch on the server). */
  check(): Promise<void>;
  backup(type: "full" | "diff" | "incr"): Promise<void>;
  info(): Promise<PgBackRestInfo>;
  /** Restores into an empty data folder, to `target` (`--type=time`), promoting at the end. */
  restore(options: { pgPath: string; target: Date }): Promise<void>;
}

export interface PgBackRestOptions {
  stanza: string;
  configFile: string;
  /** The `pgbackrest` binary; default from PATH. */
  bin?: string;
  /** libpq password for the server (pgBackRest connects over its unix socket). */
  password?: string;
}

export function createPgBackRest(options: PgBackRestOptions): PgBackRest {
  const bin = options.bin ?? "pgbackrest";
  const base = [`--config=${options.configFile}`, `--stanza=${options.stanza}`];
  const run = async (args: string[]): Promise<string> => {
    const result = await runTool(bin, [...base, ...args], {
      ...runAsPostgres(),
      env: options.password ? { PGPASSWORD: options.password } : {},
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") {
        throw new OpskitError(
          "BACKUP_TOOL_MISSING",
          "pgbackrest was not found on PATH. Install it: apt-get install pgbackrest.",
        );
      }
      throw error;
    });
    if (result.code !== 0) {
      throw new OpskitError(
        "BACKUP_FAILED",
        `pgbackrest ${args.at(-1)} failed (exit ${result.code}): ${tail(result.stderr + "\n" + result.stdout)}`,
      );
    }
    return result.stdout;
  };
  return {
    stanza: options.stanza,
    configFile: options.configFile,
    archiveCommand: `${bin} --config=${options.configFile} --stanza=${options.stanza} archive-push %p`,
    stanzaCreate: () => run(["stanza-create"]).then(() => undefined),
    check: () => run(["check"]).then(() => undefined),
    backup: (type) => run([`--type=${type}`, "backup"]).then(() => undefined),
    async info() {
      const [stanza] = JSON.parse(await run(["--output=json", "info"])) as RawInfo[];
      if (!stanza)
        throw new OpskitError("BACKUP_FAILED", `pgbackrest knows no stanza ${options.stanza}.`);
      const archive = stanza.archive.at(-1);
      return {
        status: { code: stanza.status.code, message: stanza.status.message },
        backups: stanza.backup.map((b) => ({
          label: b.label,
          type: b.type,
          startedAt: new Date(b.timestamp.start * 1000),
          stoppedAt: new Date(b.timestamp.stop * 1000),
          lsn: b.lsn,
        })),
        archive: { min: archive?.min ?? null, max: archive?.max ?? null },
      };
    },
    async restore({ pgPath, target }) {
      await run([
        `--pg1-path=${pgPath}`,
        "--type=time",
        `--target=${target.toISOString().replace("T", " ").replace("Z", "+00")}`,
        "--target-action=promote",
        "restore",
      ]);
    },
  };
}

interface RawInfo {
  status: { code: number; message: string };
  backup: {
    label: string;
    type: "full" | "diff" | "incr";
    timestamp: { start: number; stop: number };
    lsn: { start: string; stop: string };
  }[];
  archive: { min: string | null; max: string | null }[];
}

/**
 * Writes a `pgbackrest.conf` for a local repository under `directory`
 * (repo, log, lock and spool folders owned by the server's user) and one
 * stanza for the server whose data folder, port and unix socket folder are
 * given (pgBackRest talks to the server over its socket).
 */
export async function writePgBackRestConfig(options: {
  directory: string;
  stanza: string;
  pgDataDir: string;
  pgPort: number;
  pgSocketDir: string;
  /** Full backups kept (older ones and their WAL expire); default 2. */
  retentionFull?: number;
}): Promise<string> {
  const owner = runAsPostgres();
  await mkdir(options.directory, { recursive: true });
  await chmod(options.directory, 0o755);
  for (const sub of ["repo", "log", "lock", "spool"]) {
    const dir = path.join(options.directory, sub);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    if (owner.uid !== undefined) await chown(dir, owner.uid, owner.gid!);
  }
  const file = path.join(options.directory, "pgbackrest.conf");
  const d = options.directory;
  await writeFile(
    file,
    [
      "[global]",
      `repo1-path=${d}/repo`,
      `repo1-retention-full=${options.retentionFull ?? 2}`,
      `log-path=${d}/log`,
      `lock-path=${d}/lock`,
      `spool-path=${d}/spool`,
      "start-fast=y",
      "log-level-console=warn",
      "log-level-file=info",
      "",
      `[${options.stanza}]`,
      `pg1-path=${options.pgDataDir}`,
      `pg1-port=${options.pgPort}`,
      `pg1-socket-path=${options.pgSocketDir}`,
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  return file;
}
