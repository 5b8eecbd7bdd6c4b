/**
 * `npm run dev`: one command from a fresh clone to a running local Flarebase with a demo
 * project and keys ready to paste.
 *
 * 1. `.dev.vars` gets a random ADMIN_TOKEN the first time (an existing one is kept).
 * 2. The SDK is built (`npm run build`) and the local D1 migrations are applied.
 * 3. `wrangler dev` starts on PORT (default 8787) and we wait for GET /health.
 * 4. The demo project remembered in `.flarebase-dev.json` is reused if it still exists,
 *    otherwise one is created through the admin API. Its sample collection `notes` is open to
 *    the public key (rules set through the admin rules API), so the quick start works as is.
 *
 * Ctrl-C stops wrangler and the workerd processes it started.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_BUCKET, openDemoBucket } from "./demo-bucket.mjs";
import { DEMO_COLLECTION, openDemoCollection } from "./demo-collection.mjs";
import { adminRequest, ROOT, randomToken, runWrangler, startWorker, waitForHealth } from "./local-worker.mjs";

const DEV_VARS = join(ROOT, ".dev.vars");
const DEV_STATE = join(ROOT, ".flarebase-dev.json");
const DEFAULT_PORT = 8787;

/**
 * Reads a secret from `.dev.vars`, adding a random one (and the file) when missing: ADMIN_TOKEN
 * (the admin API) and AUTH_PEPPER (accounts: password hashes and refresh tokens depend on it, so
 * an existing one is never replaced).
 */
function ensureDevSecret(name, bytes = 24) {
  const text = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, "utf8") : "";
  const match = new RegExp(`^\\s*${name}\\s*=\\s*(.*?)\\s*$`, "m").exec(text);
  if (match) {
    const value = match[1].replace(/^(["'])(.*)\1$/, "$2");
    if (value) return { token: value, created: false };
  }
  const token = randomToken(bytes);
  const separator = text && !text.endsWith("\n") ? "\n" : "";
  // .dev.vars holds secrets and is git-ignored; keep it private to this user as well.
  writeFileSync(DEV_VARS, `${text}${separator}${name}=${token}\n`, { mode: 0o600 });
  return { token, created: true };
}

/** Runs `npm run <script>` with our stdio and fails loudly if it fails. */
function npmRun(script) {
  return new Promise((resolve, reject) => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const child = spawn(npm, ["run", "--silent", script], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run ${script} failed (exit code ${code}).`)),
    );
  });
}

/** Reuses the remembered demo project if the local database still has it, else creates one. */
async function ensureDemoProject(url, adminToken) {
  const saved = existsSync(DEV_STATE) ? JSON.parse(readFileSync(DEV_STATE, "utf8")) : null;
  if (typeof saved?.project_id === "string" && saved.keys?.public && saved.keys?.secret) {
    const found = await adminRequest(
      url,
      adminToken,
      "GET",
      `/v1/admin/projects/${encodeURIComponent(saved.project_id)}`,
    );
    if (found.status === 200) {
      // A demo project from before the sample collection existed gets it; rules set since are kept.
      await openDemoCollection(url, adminToken, saved.project_id, { onlyIfUnset: true });
      await openDemoBucket(url, adminToken, saved.project_id);
      return { ...saved, reused: true };
    }
    if (found.status !== 404) {
      throw new Error(
        `Could not look up the demo project ${saved.project_id} (HTTP ${found.status}: ${JSON.stringify(found.body)}). ` +
          "If ADMIN_TOKEN in .dev.vars changed, restore it or delete .flarebase-dev.json to start over.",
      );
    }
  }
  const created = await adminRequest(url, adminToken, "POST", "/v1/admin/projects", { name: "demo" });
  if (created.status !== 201) {
    throw new Error(`Creating the demo project failed (HTTP ${created.status}: ${JSON.stringify(created.body)}).`);
  }
  await openDemoCollection(url, adminToken, created.body.id);
  await openDemoBucket(url, adminToken, created.body.id);
  const state = {
    project_id: created.body.id,
    name: created.body.name,
    keys: created.body.keys,
    created_at: created.body.created_at,
  };
  writeFileSync(DEV_STATE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return { ...state, reused: false };
}

function printBanner({ url, adminToken, project }) {
  const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
  const lines = [
    "",
    bold("Flarebase is running"),
    `  URL          ${url}`,
    `  Admin token  ${adminToken}   (Authorization: Bearer …, from .dev.vars)`,
    `  Demo project ${project.project_id}   (${project.reused ? "reused" : "created"}, saved in .flarebase-dev.json)`,
    `  Public key   ${project.keys.public}`,
    `  Secret key   ${project.keys.secret}   (server-side only)`,
    `  Demo page    ${url}/demo/?key=${project.keys.public}`,
    `  Sample       collection "${DEMO_COLLECTION}", open to the public key (its rules allow everything)`,
    `  Sample       bucket "${DEMO_BUCKET}", open to the public key as well`,
    "",
    bold('SDK snippet (a <script type="module"> or any ES module):'),
    `  import { createClient } from "${url}/sdk.js";`,
    `  const client = createClient({ url: "${url}", key: "${project.keys.public}" });`,
    "  await client.health();",
    `  const notes = client.collection("${DEMO_COLLECTION}");   // the demo's open sample collection`,
    '  await notes.create({ text: "Hello, Flarebase" });',
    "  const { items } = await notes.list({ limit: 10 });",
    "",
    "Press Ctrl-C to stop.",
    "",
  ];
  console.log(lines.join("\n"));
}

async function main() {
  const port = Number(process.env.PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`PORT must be a TCP port, got "${process.env.PORT}".`);

  const admin = ensureDevSecret("ADMIN_TOKEN");
  if (admin.created) console.log("Created .dev.vars with a random ADMIN_TOKEN.");
  if (ensureDevSecret("AUTH_PEPPER", 32).created) console.log("Added a random AUTH_PEPPER to .dev.vars.");

  console.log("> npm run build");
  await npmRun("build");
  console.log("> wrangler d1 migrations apply DB --local");
  await runWrangler(["d1", "migrations", "apply", "DB", "--local"]);

  // 127.0.0.1 rather than localhost, which may resolve to ::1 first. The inspector stays on
  // wrangler's default port (9229) so a debugger finds it where it usually looks. Request.cf
  // is a placeholder unless asked for, so an offline start neither waits nor warns.
  const env = { CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env };
  // Local development may name a model server on this machine or the LAN as an endpoint's
  // upstream (the SSRF guard refuses private addresses when deployed: docs/endpoints.md).
  const vars = { ALLOW_PRIVATE_UPSTREAMS: "true" };
  const worker = await startWorker({ port, ip: "127.0.0.1", inspectorPort: null, env, vars });
  const url = worker.url;

  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping wrangler…`);
    await worker.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGHUP", () => shutdown("SIGHUP"));
  worker.exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(`wrangler dev exited (${signal ?? `exit code ${code}`}).`);
    process.exit(code || 1);
  });

  try {
    await waitForHealth(worker, { timeoutMs: 90_000 });
    const project = await ensureDemoProject(url, admin.token);
    printBanner({ url, adminToken: admin.token, project });
  } catch (error) {
    await worker.stop();
    throw error;
  }
}

main().catch((error) => {
  console.error(`npm run dev: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
