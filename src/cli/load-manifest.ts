import path from "node:path";
import { pathToFileURL } from "node:url";
import { baseManifest, extendManifest, isManifest, type Manifest } from "../config/index.js";
import { UsageError } from "./cli-error.js";

/**
 * The manifest a command works on: the toolkit's base manifest, extended with
 * the one exported by `--manifest MODULE` (its default export, an export
 * named `manifest`, or its only manifest-shaped export).
 */
export async function loadManifest(modulePath: string | undefined): Promise<Manifest> {
  if (modulePath === undefined) return baseManifest;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`Cannot load --manifest ${modulePath}: ${(error as Error).message}`);
  }
  const candidates = [mod.default, mod.manifest, ...Object.values(mod)].filter(isManifest);
  const found = candidates[0];
  if (found === undefined) {
    throw new UsageError(
      `${modulePath} exports no manifest (export one as default or as "manifest").`,
    );
  }
  return found === baseManifest ? found : extendManifest(baseManifest, found);
}
