// `flarebase deploy` end to end: the built CLI (dist/cli/flarebase.js, `npm test` builds it first)
// deploys test/fixtures/site-app to the real `wrangler dev` of global-setup.ts; a second deploy with
// one changed file uploads exactly that one; Chromium opens a deep link of the SPA at the site's
// default address (`<site>--<project>.localhost:<port>`) and the client router renders it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReleaseRecord } from "../../core/sites/wire";
import { sites } from "../../sdk/index";
import { adminClient, baseUrl, clientFor, createTestProject } from "./helpers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "dist/cli/flarebase.js");
const FIXTURE = join(ROOT, "test/fixtures/site-app");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with the project's secret key and the server's URL. */
function flarebase(args: string[], secretKey: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, FLAREBASE_URL: baseUrl(), FLAREBASE_SECRET_KEY: secretKey }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A GET with a Host header (Node's fetch always sends the URL's own), answered status, headers and body. */
function getWithHost(host: string, path: string, headers: Record<string, string> = {}) {
  const url = new URL(baseUrl());
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path, headers: { ...headers, Host: host } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.setTimeout(15_000, () => req.destroy(new Error(`GET ${path}: no answer in 15 s`)));
      req.end();
    },
  );
}

describe("flarebase deploy", () => {
  let dir: string;
  let secretKey: string;
  let projectId: string;
  let siteHost: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does).`);
    const { project } = await createTestProject();
    secretKey = project.keys.secret;
    projectId = project.id;
    siteHost = `app--${projectId}.localhost:${new URL(baseUrl()).port}`;
    dir = await mkdtemp(join(tmpdir(), "flarebase-site-"));
    await cp(FIXTURE, dir, { recursive: true });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("explains itself with --help and refuses bad arguments with exit code 2", async () => {
    const help = await flarebase(["deploy", "--help"], "sk_x");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--dry-run");
    const noSite = await flarebase(["deploy", dir], "sk_x");
    expect([noSite.code, noSite.stderr]).toEqual([2, expect.stringContaining("--site")]);
    const notDir = await flarebase(["deploy", join(dir, "nope"), "--site", "app"], "sk_x");
    expect(notDir.code).toBe(2);
  });

  it("deploys the fixture (creating the site), then a change of one file uploads exactly one", async () => {
    const first = await flarebase(["deploy", dir, "--site", "app"], secretKey);
    expect(first.stderr).not.toContain("Error");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Created site "app"');
    expect(first.stdout).toContain("5 file(s) uploaded");
    expect(first.stdout).toContain(`http://${siteHost}`);

    await writeFile(join(dir, "robots.txt"), "User-agent: *\nDisallow: /private\n");
    const dry = await flarebase(["deploy", dir, "--site", "app", "--dry-run"], secretKey);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("~ changed (1)");
    expect(dry.stdout).toContain("/robots.txt");
    expect(dry.stdout).toContain("Would upload 1 file(s)");

    const second = await flarebase(["deploy", dir, "--site", "app"], secretKey);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("1 file(s) uploaded");
    expect(second.stdout).toContain("4 reused");

    const releases = await fetch(`${baseUrl()}/v1/sites/app/releases`, { headers: { "X-API-Key": secretKey } });
    const { items } = (await releases.json()) as { items: ReleaseRecord[] };
    expect(items.map((release) => release.status)).toEqual(["active", "inactive"]);
    const robots = await getWithHost(siteHost, "/robots.txt");
    expect(robots.body).toContain("Disallow: /private");
  });

  it("is managed from the SDK too: releases, rollback, hostnames (every answer checked against /openapi.json)", async () => {
    const api = sites(clientFor({ key: secretKey }));
    const { items } = await api.releases("app");
    expect(items).toHaveLength(2);
    const back = await api.rollback("app");
    expect(back).toMatchObject({ id: items[1]?.id, status: "active" });
    expect((await getWithHost(siteHost, "/robots.txt")).body).toBe("User-agent: *\n");
    await api.activate("app", items[0]?.id as string);
    const files = await api.releaseFiles("app", items[0]?.id as string);
    expect(files.items.map((file) => file.path)).toContain("/assets/app.3f9a1b2c.js");
    const hostname = `app-${projectId}.example.test`;
    const mapped = await adminClient().sites(projectId).addHostname("app", hostname);
    expect(mapped.hostnames).toEqual([hostname]);
    expect((await getWithHost(hostname, "/posts/1", { Accept: "text/html" })).status).toBe(200);
    await adminClient().sites(projectId).removeHostname("app", hostname);
  });

  it("fails with exit code 1 when the server refuses the key", async () => {
    const refused = await flarebase(["deploy", dir, "--site", "app"], "sk_wrong_key");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("unauthorized");
  });

  it("serves a deep link as the SPA, a missing bundle as a real 404, and the API untouched", async () => {
    const deep = await getWithHost(siteHost, "/posts/42", { Accept: "text/html" });
    expect(deep.status).toBe(200);
    expect(deep.body).toContain('<script type="module" src="/assets/app.3f9a1b2c.js">');
    const bundle = await getWithHost(siteHost, "/assets/app.00000000.js", { Accept: "*/*" });
    expect(bundle.status).toBe(404);
    const asset = await getWithHost(siteHost, "/assets/app.3f9a1b2c.js");
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const health = await getWithHost(siteHost, "/health");
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok" });
  });

  // Needs Debian's Chromium (apt-get install chromium); without it this one test is skipped, visibly.
  it.skipIf(!existsSync(CHROMIUM))(
    "renders a deep link in Chromium through the client router, and a screenshot shows it",
    async () => {
      const profile = await mkdtemp(join(tmpdir(), "flarebase-site-chromium-"));
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 30_000,
      });
      try {
        const page = browser.pages()[0] ?? (await browser.newPage());
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));
        // *.localhost resolves to loopback in Chromium: the site's default address works as is.
        const response = await page.goto(`http://${siteHost}/posts/42/comments/3`, { timeout: 20_000 });
        expect(response?.status()).toBe(200);
        await page.waitForSelector("body[data-route=ok]", { timeout: 10_000 });
        expect(await page.textContent("#app")).toBe("Comment 3 on post 42");
        await page.click("a[href='/posts/7']");
        expect(await page.textContent("#app")).toBe("Post 7");
        const screenshot = join(profile, "site-deep-link.png");
        await page.screenshot({ path: screenshot });
        expect((await stat(screenshot)).size).toBeGreaterThan(1000);
        expect((await readFile(screenshot)).subarray(1, 4).toString()).toBe("PNG");
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        await rm(profile, { recursive: true, force: true });
      }
    },
  );
});
