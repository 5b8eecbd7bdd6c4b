// The SDK core against a real worker (wrangler dev, see global-setup.ts) over real HTTP.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ERROR_CODE_NAMES } from "../../core/errors";
import { createAdminClient, createClient, FlarebaseError, type ServerErrorCode } from "../../sdk/index";
import {
  adminClient,
  baseUrl,
  clientFor,
  closedPortUrl,
  createTestProject,
  rejection,
  silentServer,
  stalledBody,
} from "./helpers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

async function flarebaseError(fn: () => Promise<unknown>): Promise<FlarebaseError> {
  const error = await rejection(fn);
  expect(error).toBeInstanceOf(FlarebaseError);
  return error as FlarebaseError;
}

describe("health", () => {
  it("answers ok with the server's version, without credentials", async () => {
    expect(await clientFor().health()).toEqual({
      status: "ok",
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      database: "ok",
    });
  });

  it("serves the built, minified SDK at /sdk.js", async () => {
    const response = await fetch(`${baseUrl()}/sdk.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/javascript/);
    expect(await response.text()).toBe(await readFile(join(ROOT, "public/sdk.js"), "utf8"));
  });
});

describe("admin client", () => {
  it("creates, reads, lists, updates and deletes a project", async () => {
    const admin = adminClient();
    const created = await admin.projects.create({ name: "crud", allowed_origins: ["https://app.example"] });
    expect(created).toMatchObject({ name: "crud", allowed_origins: ["https://app.example"] });
    expect(created.keys.public).toMatch(/^pk_/);
    expect(created.keys.secret).toMatch(/^sk_/);

    const { keys: _keys, ...project } = created;
    expect(await admin.projects.get(created.id)).toEqual(project);

    const ids: string[] = [];
    let page = await admin.projects.list({ limit: 1 });
    ids.push(...page.items.map((item) => item.id));
    while (page.next_cursor) {
      page = await admin.projects.list({ limit: 1, cursor: page.next_cursor });
      ids.push(...page.items.map((item) => item.id));
    }
    expect(ids).toContain(created.id);
    expect(ids).toEqual([...ids].sort());

    expect(await admin.projects.update(created.id, { name: "renamed" })).toEqual({ ...project, name: "renamed" });

    await expect(admin.projects.delete(created.id)).resolves.toBeUndefined();
    const gone = await flarebaseError(() => admin.projects.get(created.id));
    expect(gone).toMatchObject({ status: 404, code: "not_found", message: `No project with id "${created.id}".` });
  });

  it("creates, lists and revokes keys, and rotates signing keys", async () => {
    const { admin, project } = await createTestProject();
    const key = await admin.keys.create(project.id, { kind: "secret", name: "ci" });
    expect(key).toMatchObject({ kind: "secret", name: "ci", revoked_at: null });
    expect(key.key).toMatch(/^sk_/);

    const listed = await admin.keys.list(project.id);
    expect(listed.next_cursor).toBeNull();
    expect(listed.items.map((item) => item.kind).sort()).toEqual(["public", "secret", "secret"]);
    expect(listed.items.find((item) => item.id === key.id)).toEqual({ ...key, key: undefined });

    const revoked = await admin.keys.revoke(project.id, key.id);
    expect(revoked.revoked_at).not.toBeNull();
    // Revoking again keeps the first revocation time.
    expect(await admin.keys.revoke(project.id, key.id)).toEqual(revoked);

    const first = await admin.signingKeys.rotate(project.id);
    const second = await admin.signingKeys.rotate(project.id);
    expect(first.kid).toEqual(expect.any(String));
    expect(second.kid).not.toBe(first.kid);
  });

  it("rejects a wrong admin token with a 401 unauthorized FlarebaseError", async () => {
    const admin = createAdminClient({ url: baseUrl(), adminToken: "not-the-admin-token" });
    const error = await flarebaseError(() => admin.projects.list());
    expect(error).toMatchObject({ status: 401, code: "unauthorized", isAbort: false });
    expect(error.message).toContain("ADMIN_TOKEN");
  });

  it("reports validation problems as invalid_request with the issues in details", async () => {
    const error = await flarebaseError(() => adminClient().projects.create({ name: "" }));
    expect(error).toMatchObject({ status: 400, code: "invalid_request" });
    expect(error.details).toEqual({ issues: [expect.objectContaining({ path: "name" })] });
  });

  it("encodes ids into the path, so an id cannot reach another route", async () => {
    const error = await flarebaseError(() => adminClient().projects.get("x/keys"));
    expect(error).toMatchObject({ status: 404, code: "not_found", message: 'No project with id "x/keys".' });
  });
});

describe("API keys", () => {
  it("authenticates public and secret keys as their kind", async () => {
    const { project, publicClient, secretClient } = await createTestProject();
    const expected = { project_id: project.id, user_id: null, role: null, claims: {} };
    expect(await publicClient.auth.me()).toEqual({ ...expected, kind: "public" });
    expect(await secretClient.auth.me()).toEqual({ ...expected, kind: "secret" });
  });

  it("rejects a revoked key with a 401 unauthorized FlarebaseError", async () => {
    const { admin, project } = await createTestProject();
    const { id, key } = await admin.keys.create(project.id, { kind: "public" });
    const client = clientFor({ key });
    expect((await client.auth.me()).kind).toBe("public");

    await admin.keys.revoke(project.id, id);
    const error = await flarebaseError(() => client.auth.me());
    expect(error).toMatchObject({ status: 401, code: "unauthorized", message: "The API key has been revoked." });
  });

  it("refuses to mint tokens with a public key (403 forbidden)", async () => {
    const { publicClient } = await createTestProject();
    const error = await flarebaseError(() => publicClient.auth.createToken({ user_id: "u1" }));
    expect(error).toMatchObject({ status: 403, code: "forbidden" });
  });

  it("rejects a call without credentials with 401 unauthorized", async () => {
    const error = await flarebaseError(() => clientFor().auth.me());
    expect(error).toMatchObject({ status: 401, code: "unauthorized" });
    expect(error.message).toContain("X-API-Key");
  });
});

describe("user tokens", () => {
  it("mints a token with the secret key that authenticates its user", async () => {
    const { project, secretClient } = await createTestProject();
    const before = Date.now();
    const minted = await secretClient.auth.createToken({
      user_id: "user-1",
      role: "editor",
      claims: { team: "blue", level: 3 },
      ttl_seconds: 120,
    });
    const expiresIn = Date.parse(minted.expires_at) - before;
    expect(expiresIn).toBeGreaterThan(115_000);
    expect(expiresIn).toBeLessThanOrEqual(121_000);

    // An async token function, as an app refreshing its tokens would pass.
    const userClient = clientFor({ token: async () => minted.token });
    expect(await userClient.auth.me()).toEqual({
      project_id: project.id,
      kind: "user",
      user_id: "user-1",
      role: "editor",
      claims: { team: "blue", level: 3 },
    });
  });

  it("sends the token over the key, and falls back to the key after setToken(null)", async () => {
    const { project, secretClient } = await createTestProject();
    const { token } = await secretClient.auth.createToken({ user_id: "user-2" });
    const client = clientFor({ key: project.keys.public, token });
    expect((await client.auth.me()).kind).toBe("user");

    client.setToken(null);
    expect((await client.auth.me()).kind).toBe("public");

    client.setToken(() => token);
    expect(await client.auth.me()).toMatchObject({ kind: "user", user_id: "user-2" });

    // A token function that has no token right now also falls back to the key.
    client.setToken(() => null);
    expect((await client.auth.me()).kind).toBe("public");
  });

  it("keeps tokens signed before a signing-key rotation valid", async () => {
    const { admin, project, secretClient } = await createTestProject();
    const { token: before } = await secretClient.auth.createToken({ user_id: "user-3" });
    await admin.signingKeys.rotate(project.id);
    const { token: after } = await secretClient.auth.createToken({ user_id: "user-3" });
    expect(after).not.toBe(before);
    expect((await clientFor({ token: before }).auth.me()).user_id).toBe("user-3");
    expect((await clientFor({ token: after }).auth.me()).user_id).toBe("user-3");
  });

  it("rejects a token of a deleted project with 401 unauthorized", async () => {
    const { admin, project, secretClient } = await createTestProject();
    const { token } = await secretClient.auth.createToken({ user_id: "user-4" });
    await admin.projects.delete(project.id);
    const error = await flarebaseError(() => clientFor({ token }).auth.me());
    expect(error).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("reports a failing token function as token_error without sending the request", async () => {
    let calls = 0;
    const client = clientFor({
      token: async () => {
        throw new Error("refresh endpoint down");
      },
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    const error = await flarebaseError(() => client.auth.me());
    expect(error).toMatchObject({ status: 0, code: "token_error" });
    expect(error.message).toContain("refresh endpoint down");
    expect(calls).toBe(0);
  });
});

describe("errors", () => {
  // The SDK's ServerErrorCode is derived from the server's table (core/errors.ts), so the two
  // lists cannot drift at compile time; what is left to check is that the server sends only them.
  it("gets only codes of the server's one list (the SDK's ServerErrorCode) from real failures", async () => {
    const { publicClient } = await createTestProject();
    const failures: (() => Promise<unknown>)[] = [
      () => clientFor().request("GET", "/v1/no-such-route"),
      () => clientFor().auth.me(),
      () => publicClient.auth.createToken({ user_id: "u1" }),
      () => adminClient().projects.create({ name: "" }),
    ];
    const codes: ServerErrorCode[] = [];
    for (const fail of failures) codes.push((await flarebaseError(fail)).code as ServerErrorCode);
    expect(codes).toEqual(["not_found", "unauthorized", "forbidden", "invalid_request"]);
    for (const code of codes) expect(ERROR_CODE_NAMES).toContain(code);
  });

  it("turns a 404 into a FlarebaseError with the server's request id", async () => {
    let sentRequestId: string | null = null;
    const client = clientFor({
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        sentRequestId = response.headers.get("X-Request-Id");
        return response;
      },
    });
    const error = await flarebaseError(() => client.request("GET", "/v1/no-such-route", { query: { a: 1, b: null } }));
    expect(error).toMatchObject({
      name: "FlarebaseError",
      status: 404,
      code: "not_found",
      message: "No route for GET /v1/no-such-route.",
      url: `${baseUrl()}/v1/no-such-route?a=1`,
      isAbort: false,
    });
    expect(error.requestId).toEqual(expect.any(String));
    expect(error.requestId).toBe(sentRequestId);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: "FlarebaseError",
      status: 404,
      code: "not_found",
      message: "No route for GET /v1/no-such-route.",
      requestId: sentRequestId,
      url: `${baseUrl()}/v1/no-such-route?a=1`,
      isAbort: false,
    });
  });

  it("reports a 2xx answer that is not JSON as invalid_response", async () => {
    const error = await flarebaseError(() => clientFor().request("GET", "/sdk.js"));
    expect(error).toMatchObject({ status: 200, code: "invalid_response" });
    expect(error.message).toContain("not JSON");
  });

  it("rejects with aborted, without calling fetch, when the signal is already aborted", async () => {
    let calls = 0;
    const client = clientFor({
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    const controller = new AbortController();
    controller.abort(new Error("user left the page"));
    const error = await flarebaseError(() => client.health({ signal: controller.signal }));
    expect(error).toMatchObject({ status: 0, code: "aborted", isAbort: true });
    expect((error.cause as Error).message).toBe("user left the page");
    expect(calls).toBe(0);
  });

  it("rejects with aborted when the signal fires while the request is in flight", async () => {
    const { secretClient } = await createTestProject();
    const { body, started } = stalledBody();
    const controller = new AbortController();
    void started.then(() => controller.abort());
    const error = await flarebaseError(() =>
      secretClient.request("POST", "/v1/auth/token", { body, signal: controller.signal, timeoutMs: 20_000 }),
    );
    expect(error).toMatchObject({ status: 0, code: "aborted", isAbort: true });
  });

  it("rejects with timeout, not an abort, when the worker does not answer within timeoutMs", async () => {
    const { secretClient } = await createTestProject();
    const { body } = stalledBody();
    const started = Date.now();
    const error = await flarebaseError(() => secretClient.request("POST", "/v1/auth/token", { body, timeoutMs: 300 }));
    expect(error).toMatchObject({ status: 0, code: "timeout", isAbort: false });
    expect(error.message).toContain("300 ms");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("applies the client's timeoutMs to a server that accepts the connection but never answers", async () => {
    const silent = await silentServer();
    try {
      const client = createClient({ url: silent.url, timeoutMs: 200 });
      const error = await flarebaseError(() => client.health());
      expect(error).toMatchObject({ status: 0, code: "timeout", isAbort: false, url: `${silent.url}/health` });
      await silent.connected;
    } finally {
      await silent.close();
    }
  });

  it("rejects with network_error naming the URL when nothing listens there", async () => {
    const url = await closedPortUrl();
    const error = await flarebaseError(() => createClient({ url }).health());
    expect(error).toMatchObject({ status: 0, code: "network_error", isAbort: false, url: `${url}/health` });
    expect(error.message).toContain(`Could not reach the Flarebase server at ${url}`);
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("rejects a malformed base URL at creation with a TypeError", () => {
    expect(() => createClient({ url: "localhost:8787" })).toThrow(TypeError);
    expect(() => createClient({ url: "ftp://example.com" })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => createClient({ url: baseUrl(), timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});

describe("built package", () => {
  it('resolves `import { createClient } from "flarebase"` in Node, with types', async () => {
    for (const file of ["dist/sdk/index.js", "dist/types/sdk/index.d.ts"]) {
      await stat(join(ROOT, file)).catch(() => {
        throw new Error(`${file} is missing: run \`npm run build\` before the e2e tests.`);
      });
    }
    // A consumer app with flarebase installed from the tarball `npm pack` makes: only what
    // package.json "files" publishes, so a declaration importing a file left out fails the check.
    const app = await mkdtemp(join(tmpdir(), "flarebase-consumer-"));
    try {
      const installed = join(app, "node_modules/flarebase");
      await mkdir(installed, { recursive: true });
      const packed = await promisify(execFile)("npm", ["pack", "--silent", "--pack-destination", app], { cwd: ROOT });
      const tarball = join(app, packed.stdout.trim().split("\n").at(-1) ?? "");
      await promisify(execFile)("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
      // npm would install the package's dependencies beside it; its declarations need zod's.
      await symlink(join(ROOT, "node_modules/zod"), join(app, "node_modules/zod"), "dir");
      await writeFile(join(app, "package.json"), JSON.stringify({ type: "module", private: true }));
      await writeFile(
        join(app, "main.mjs"),
        `import { createClient, createAdminClient, FlarebaseError } from "flarebase";
const client = createClient({ url: process.argv[2] });
const health = await client.health();
const error = await createAdminClient({ url: process.argv[2], adminToken: "wrong" }).projects.list().catch((e) => e);
console.log(JSON.stringify({ health, isFlarebaseError: error instanceof FlarebaseError, code: error.code }));
`,
      );
      const run = await promisify(execFile)(process.execPath, ["main.mjs", baseUrl()], { cwd: app });
      expect(JSON.parse(run.stdout)).toEqual({
        health: expect.objectContaining({ status: "ok" }),
        isFlarebaseError: true,
        code: "unauthorized",
      });

      // The declarations resolve through package.json "exports" under nodenext resolution, and are
      // real types: the @ts-expect-error lines fail the check if anything is `any`.
      await writeFile(
        join(app, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            module: "nodenext",
            moduleResolution: "nodenext",
            target: "es2022",
            lib: ["es2022", "dom"],
            types: [],
          },
          include: ["check.ts"],
        }),
      );
      await writeFile(
        join(app, "check.ts"),
        `import { createClient, FlarebaseError, increment, type HealthStatus, type Page, type StoredDocument } from "flarebase";
const client = createClient({ url: "http://127.0.0.1:1", key: "pk_x" });
export const health: Promise<HealthStatus> = client.health();
export const code: string = new FlarebaseError({ status: 0, code: "timeout", message: "m", url: "u" }).code;
// @ts-expect-error: url is required
createClient({ key: "pk_x" });
// @ts-expect-error: health() resolves to HealthStatus, not a number
export const wrong: Promise<number> = client.health();
// Documents: the wire types come from the server's declarations, published beside the SDK's.
interface Note { text: string; n: number }
const notes = client.collection<Note>("notes");
export const page: Promise<Page<StoredDocument<Note>>> = notes.list({ filter: { n_gte: 1 }, sort: "-n" });
export const updated = notes.update("a", { n: 1 }, { operators: { n: increment(1) } });
// @ts-expect-error: text is a string
notes.create({ text: 1, n: 2 });
// @ts-expect-error: data is a Note, not a number
export const notNumber: Promise<StoredDocument<number>> = notes.get("a");
`,
      );
      await promisify(execFile)(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", app]).catch(
        (error: { stdout?: string }) => {
          throw new Error(`tsc failed on a consumer of "flarebase":\n${error.stdout}`);
        },
      );
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  });
});
