import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Runs before every test file. applyD1Migrations only applies what is missing, so this is cheap
// after the first file.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
