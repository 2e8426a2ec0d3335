import { fileURLToPath } from "node:url";

/** The toolkit's own forward-only migrations (`sql/migrations` in the package). */
export const toolkitMigrationsDir = fileURLToPath(
  new URL(
    import.meta.url.includes("/dist/") ? "../../../sql/migrations" : "../../sql/migrations",
    import.meta.url,
  ),
);
