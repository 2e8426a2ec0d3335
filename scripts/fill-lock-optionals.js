#!/usr/bin/env node
/* global console, process */
// The npm registry this project installs from lacks some platform builds of
// optional native dependencies (squawk-cli's and msgpackr-extract's darwin,
// win32 and arm packages). `npm install` then leaves them out of
// package-lock.json, and `npm ci` refuses the lock ("Missing: … from lock
// file"), although it would skip those packages on this platform anyway.
// This adds the entries npm ci names, as the public registry has them
// (version, os, cpu, optional), so the lock is complete. Run after
// `npm install` when `npm run check:lock` fails.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const check = spawnSync("npm", ["ci", "--dry-run", "--ignore-scripts"], { encoding: "utf8" });
const missing = [...check.stderr.matchAll(/Missing: (@?[^@\s]+)@/g)].map((m) => m[1]);
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const wants = new Map();
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    wants.set(name, { version: version.replace(/^[\^~=]/, ""), dev: entry.dev === true });
  }
}
for (const name of missing) {
  const want = wants.get(name);
  const platform = /(darwin|linux|win32)-(arm64|x64|arm)$/.exec(name);
  if (!want || !platform) {
    console.error(`cannot fill ${name}: not a platform build of an optional dependency`);
    process.exit(1);
  }
  lock.packages[`node_modules/${name}`] = {
    version: want.version,
    cpu: [platform[2]],
    ...(want.dev ? { dev: true } : {}),
    optional: true,
    os: [platform[1]],
  };
  console.log(`filled ${name}@${want.version}`);
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
