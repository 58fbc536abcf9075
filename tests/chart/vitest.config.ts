import { defineConfig } from "vitest/config";

// The chart tests: they run the real `helm` (installed by tests/tools/install).
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["*.test.ts"],
    testTimeout: 60_000,
    fileParallelism: false,
  },
});
