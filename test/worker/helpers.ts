import { exports } from "cloudflare:workers";

/** The admin token the workers test project binds (vitest.config.ts). */
export const ADMIN_TOKEN = "test-admin-token";
const BASE = "https://flarebase.test";

/** Calls the worker in-process, like a real client would over HTTP. */
export function api(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set("Content-Type", "application/json");
  return exports.default.fetch(`${BASE}${path}`, {
    ...rest,
    headers,
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
}

export const adminHeaders = { Authorization: `Bearer ${ADMIN_TOKEN}` };

export interface TestProject {
  id: string;
  name: string;
  allowed_origins: string[];
  keys: { public: string; secret: string };
}

/** Creates a project through the admin API: each test gets its own, so tests never share data. */
export async function createProject(body: { name?: string; allowed_origins?: string[] } = {}): Promise<TestProject> {
  const response = await api("/v1/admin/projects", {
    method: "POST",
    headers: adminHeaders,
    json: { name: body.name ?? "test", ...body },
  });
  if (response.status !== 201) throw new Error(`createProject: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Mints a user token with the project's secret key. */
export async function mintToken(project: TestProject, body: Record<string, unknown> = { user_id: "u1" }) {
  const response = await api("/v1/auth/token", {
    method: "POST",
    headers: { "X-API-Key": project.keys.secret },
    json: body,
  });
  if (response.status !== 201) throw new Error(`mintToken: ${response.status} ${await response.text()}`);
  return (await response.json()) as { token: string; expires_at: string };
}

/** Reads an error envelope and checks its shape in one place. */
export async function errorOf(response: Response) {
  const body = (await response.json()) as { error: { code: string; message: string; details?: unknown } };
  return { status: response.status, ...body.error };
}
