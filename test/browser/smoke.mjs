/**
 * `npm run test:browser`: the browser SDK in a real browser against a real local worker.
 *
 * Starts `wrangler dev` on a free port with throwaway state and a random ADMIN_TOKEN, creates a
 * project through the admin API with the demo's open sample collection (as `npm run dev` does),
 * opens /demo/?key=<public key> in Debian's headless Chromium (driven by playwright-core) and
 * checks what the page shows, then creates and lists a note through /sdk.js in the page, and
 * uploads an image with progress events and shows it through a signed URL. Prints one line per check and
 * `browser: N passed, M failed`; exits non-zero on any failure. wrangler and Chromium are
 * always stopped, and the whole run is bounded by RUN_TIMEOUT_MS.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { DEMO_BUCKET, openDemoBucket } from "../../scripts/demo-bucket.mjs";
import { DEMO_COLLECTION, openDemoCollection } from "../../scripts/demo-collection.mjs";
import {
  adminRequest,
  freePort,
  randomToken,
  runWrangler,
  startWorker,
  waitForHealth,
} from "../../scripts/local-worker.mjs";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const RUN_TIMEOUT_MS = 180_000;
const PAGE_TIMEOUT_MS = 20_000;

/** @type {{ name: string, ok: boolean, detail?: string }[]} */
const results = [];

function check(name, ok, detail) {
  results.push({ name, ok, detail: ok ? undefined : detail });
  console.log(`  ${ok ? "✓" : "✗"} ${name}${ok ? "" : `: ${detail}`}`);
}

function parseJson(text) {
  try {
    return JSON.parse(text ?? "");
  } catch {
    return undefined;
  }
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing. Install Debian's Chromium: apt-get update && apt-get install -y chromium`);
  }

  const temp = await mkdtemp(join(tmpdir(), "flarebase-browser-"));
  const persistTo = join(temp, "state");
  const screenshot = join(tmpdir(), `flarebase-demo-${Date.now()}.png`);
  const adminToken = randomToken();
  // No network in tests: skip wrangler's Request.cf download and its telemetry.
  const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

  /** @type {import("../../scripts/local-worker.mjs").LocalWorker | undefined} */
  let worker;
  /** @type {import("playwright-core").BrowserContext | undefined} */
  let browser;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await worker?.stop();
    await rm(temp, { recursive: true, force: true });
  };
  const deadline = setTimeout(async () => {
    console.error(`browser smoke test: no result after ${RUN_TIMEOUT_MS / 1000} s, giving up.`);
    await cleanup();
    console.log(
      `browser: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`,
    );
    process.exit(1);
  }, RUN_TIMEOUT_MS);

  let output = "";
  try {
    await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], { quiet: true, env });
    worker = await startWorker({
      port: await freePort(),
      persistTo,
      vars: { ADMIN_TOKEN: adminToken, AUTH_PEPPER: randomToken(32) },
      stdio: "pipe",
      env,
    });
    // Keep wrangler's output to show it only when something goes wrong.
    worker.child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    worker.child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    await waitForHealth(worker);

    const created = await adminRequest(worker.url, adminToken, "POST", "/v1/admin/projects", { name: "browser-smoke" });
    if (created.status !== 201)
      throw new Error(`creating a project: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    const project = created.body;
    await openDemoCollection(worker.url, adminToken, project.id);

    browser = await chromium.launchPersistentContext(join(temp, "chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    /** @type {string[]} */
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(`uncaught: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
    });
    page.on("requestfailed", (request) =>
      pageErrors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
    );

    const demoUrl = `${worker.url}/demo/?key=${encodeURIComponent(project.keys.public)}`;
    const response = await page.goto(demoUrl, { timeout: PAGE_TIMEOUT_MS });
    if (!response?.ok()) throw new Error(`GET ${demoUrl}: HTTP ${response?.status()}`);
    // The page sets data-state to "done" or "error" once both SDK calls have settled.
    await page
      .waitForFunction(() => ["done", "error"].includes(document.body.dataset.state ?? ""), null, {
        timeout: PAGE_TIMEOUT_MS,
      })
      .catch(() => {});
    const state = await page.evaluate(() => document.body.dataset.state);
    if (state !== "done" && state !== "error")
      pageErrors.push(`page state still "${state}" after ${PAGE_TIMEOUT_MS} ms`);

    const text = async (selector) => (await page.textContent(selector)) ?? "";
    const health = parseJson(await text("#health"));
    const me = parseJson(await text("#me"));
    const shownError = (await text("#error")).trim();

    check(
      "client.health() in the page reports status ok",
      health?.status === "ok",
      `#health = ${JSON.stringify(await text("#health"))}`,
    );
    check(
      "client.auth.me() names the project that was created",
      me?.project_id === project.id,
      `expected project_id ${project.id}, #me = ${JSON.stringify(await text("#me"))}`,
    );
    check("client.auth.me() reports a public key", me?.kind === "public", `#me = ${JSON.stringify(await text("#me"))}`);
    check(
      "the page shows no error and logged none",
      shownError === "" && pageErrors.length === 0,
      [shownError && `#error = ${shownError}`, ...pageErrors].filter(Boolean).join("; "),
    );

    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`  screenshot: ${screenshot}`);

    // The quick start: the public key creates a note in the sample collection and lists it back,
    // through the SDK the worker serves, in the page (same origin as /demo/).
    const notes = await page.evaluate(
      async ({ url, key, collection }) => {
        const { createClient } = await import(`${url}/sdk.js`);
        const client = createClient({ url, key });
        const text = `hello from ${navigator.userAgent.includes("Chrome") ? "Chromium" : "a browser"}`;
        const created = await client.collection(collection).create({ text });
        const listed = await client.collection(collection).list({ filter: { text } });
        let closed = "allowed";
        try {
          await client.collection("not_opened").list();
        } catch (error) {
          closed = error?.code ?? String(error);
        }
        return { created, listed: listed.items, closed };
      },
      { url: worker.url, key: project.keys.public, collection: DEMO_COLLECTION },
    );
    check(
      `the public key creates a note in "${DEMO_COLLECTION}" through /sdk.js and lists it back`,
      typeof notes.created?.id === "string" &&
        notes.listed.length === 1 &&
        notes.listed[0]?.id === notes.created.id &&
        notes.listed[0]?.data?.text === notes.created.data?.text,
      JSON.stringify(notes),
    );
    check(
      "a collection without rules stays closed to the public key (forbidden)",
      notes.closed === "forbidden",
      `got ${notes.closed}`,
    );

    // Files: the page draws a PNG, uploads it with progress events through /sdk.js (XHR, since
    // fetch reports no upload progress), signs a URL for it and shows it in an <img>.
    await openDemoBucket(worker.url, adminToken, project.id);
    const upload = await page.evaluate(
      async ({ url, key, bucket }) => {
        const { createClient, storage } = await import(`${url}/sdk.js`);
        const files = storage(createClient({ url, key })).bucket(bucket);
        const canvas = document.createElement("canvas");
        canvas.width = 640;
        canvas.height = 480;
        const context = canvas.getContext("2d");
        for (let i = 0; i < 2000; i++) {
          context.fillStyle = `hsl(${(i * 37) % 360} 80% 50%)`;
          context.fillRect((i * 53) % 640, (i * 29) % 480, 17, 13);
        }
        const png = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
        const progress = [];
        const record = await files.upload("browser/drawing.png", png, {
          contentType: "image/png",
          onProgress: ({ loaded, total }) => progress.push([loaded, total]),
        });
        const { url: signed } = await files.createSignedUrl("browser/drawing.png", { expiresIn: 300 });
        const image = document.createElement("img");
        document.body.append(image);
        const shown = await new Promise((resolve) => {
          image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
          image.onerror = () => resolve(null);
          image.src = signed;
        });
        return { size: png.size, record, progress, signed, shown };
      },
      { url: worker.url, key: project.keys.public, bucket: DEMO_BUCKET },
    );
    const last = upload.progress.at(-1);
    check(
      "a file uploaded from the page reports upload progress up to its size",
      upload.record?.size === upload.size && upload.progress.length > 0 && last?.[0] === upload.size,
      JSON.stringify({ size: upload.size, record: upload.record, progress: upload.progress.slice(-3) }),
    );
    check(
      "the uploaded image shows in an <img> through a signed URL",
      upload.shown?.width === 640 && upload.shown?.height === 480 && upload.signed.includes("signature="),
      JSON.stringify({ signed: upload.signed, shown: upload.shown }),
    );

    // Accounts: sign up in the page (the session goes to localStorage), reload, still signed in
    // as the same user with a working token; sign out, reload, signed out.
    const signedUp = await page.evaluate(
      async ({ url, key }) => {
        const { accounts, createClient } = await import(`${url}/sdk.js`);
        const auth = accounts(createClient({ url, key }));
        const user = await auth.signUp({
          login_id: `browser-${Date.now()}@example.com`,
          password: "plum-violin-harbor-42",
        });
        return {
          id: user.id,
          stored: Object.keys(localStorage).filter((name) => name.startsWith("flarebase.session:")),
        };
      },
      { url: worker.url, key: project.keys.public },
    );
    const reloaded = await page.reload({ timeout: PAGE_TIMEOUT_MS });
    if (!reloaded?.ok()) throw new Error(`reloading ${demoUrl}: HTTP ${reloaded?.status()}`);
    const afterReload = await page.evaluate(
      async ({ url, key }) => {
        const { accounts, createClient } = await import(`${url}/sdk.js`);
        const client = createClient({ url, key });
        const auth = accounts(client);
        const user = await auth.ready();
        const me = await client.auth.me();
        await auth.signOut();
        return { id: user?.id ?? null, me, after: auth.currentUser, stored: localStorage.length };
      },
      { url: worker.url, key: project.keys.public },
    );
    check(
      "a user signed up in the page is still signed in after a reload, with a working token",
      signedUp.stored.length === 1 && afterReload.id === signedUp.id && afterReload.me?.user_id === signedUp.id,
      JSON.stringify({ signedUp, afterReload }),
    );
    await page.reload({ timeout: PAGE_TIMEOUT_MS });
    const afterSignOut = await page.evaluate(
      async ({ url, key }) => {
        const { accounts, createClient } = await import(`${url}/sdk.js`);
        const client = createClient({ url, key });
        return { user: await accounts(client).ready(), kind: (await client.auth.me()).kind };
      },
      { url: worker.url, key: project.keys.public },
    );
    check(
      "after signing out and a reload, nobody is signed in (the public key speaks again)",
      afterSignOut.user === null && afterSignOut.kind === "public" && afterReload.after === null,
      JSON.stringify({ afterReload, afterSignOut }),
    );

    // The failure path: a key the server does not know must surface the SDK's typed error.
    const badKey = `${project.keys.public.slice(0, -4)}xxxx`;
    await page.goto(`${worker.url}/demo/?key=${encodeURIComponent(badKey)}`, { timeout: PAGE_TIMEOUT_MS });
    await page
      .waitForFunction(() => ["done", "error"].includes(document.body.dataset.state ?? ""), null, {
        timeout: PAGE_TIMEOUT_MS,
      })
      .catch(() => {});
    const badState = await page.evaluate(() => document.body.dataset.state);
    const badError = (await text("#error")).trim();
    check(
      "a wrong key shows the SDK's unauthorized error in the page",
      badState === "error" && badError.includes("unauthorized") && (await text("#me")) === "",
      `state ${badState}, #error = ${JSON.stringify(badError)}, #me = ${JSON.stringify(await text("#me"))}`,
    );
  } catch (error) {
    check("the smoke run completes", false, error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }

  const failed = results.filter((r) => !r.ok).length;
  if (failed > 0 && output) console.error(`\n--- wrangler dev output ---\n${output}---`);
  console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  console.log("browser: 0 passed, 1 failed");
  process.exitCode = 1;
});
