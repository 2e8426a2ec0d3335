// Type-aware lint: the rules that matter most for a queue and a server are the
// promise rules (an unawaited promise loses work or errors silently).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const AREAS =
  "alerts|audit|cli|config|console|db|health|http|inbox|jobs|log|metrics|migrate|service|testing";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".data/", "bench/results/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // Areas meet only at their index.ts (docs/architecture.md): a deep import
    // of another area's file fails here. Same-area imports never name the
    // area's folder, so they are not caught. `migrate/lint/index.ts` is the
    // lint's own entry (no database code, for a fast pre-commit lint). Tests
    // may reach internals to set up states no public API makes (a held lock).
    files: ["src/**/*.ts", "examples/**/*.ts", "bench/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(src/)?(${AREAS})/(?!index\\.js$|lint/index\\.js$).+`,
              message:
                "Import another area only through its index.ts (docs/architecture.md); export what you need there.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
