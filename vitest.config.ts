import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Three projects:
 * - `workers`: the Worker and its Durable Objects, inside workerd with the real bindings of
 *   wrangler.toml and the D1 migrations applied (test/worker/apply-migrations.ts).
 * - `static`: checks over the source tree itself (the import direction), in Node.
 * - `e2e`: the SDK in Node against a real `wrangler dev` on a free port (test/e2e/global-setup.ts).
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  // Counts D1 round trips (data/d1/round-trips.ts), pinned by test/worker/round-trips.test.ts.
                  COUNT_D1_ROUND_TRIPS: "1",
                  ADMIN_TOKEN: "test-admin-token",
                  AUTH_PEPPER: "test-pepper-0123456789abcdefghijklmnopqrstuvwxyz",
                  // Cases per property of test/worker/fuzz.test.ts (`npm run fuzz` sets more).
                  FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
                  // The endpoint tests' upstream is a real server on loopback (test/upstream/).
                  ALLOW_PRIVATE_UPSTREAMS: "true",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/worker/**/*.test.ts"],
            setupFiles: ["./test/worker/apply-migrations.ts"],
            globalSetup: ["./test/worker/upstream-setup.ts"],
          },
        },
        {
          test: {
            name: "static",
            include: ["test/static/**/*.test.ts"],
            environment: "node",
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            globalSetup: ["./test/e2e/global-setup.ts"],
            // Each test talks to a real server over real sockets: allow for a slow CI machine.
            testTimeout: 30_000,
            hookTimeout: 60_000,
          },
        },
      ],
    },
  };
});
