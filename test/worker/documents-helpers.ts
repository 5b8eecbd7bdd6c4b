import { api, createProject, type TestProject } from "./helpers";

/** A document as the API returns it. */
export interface Doc<T = Record<string, unknown>> {
  id: string;
  data: T;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface Page<T = Record<string, unknown>> {
  items: Doc<T>[];
  next_cursor: string | null;
  total?: number;
}

/** Calls the API as the holder of `key` (a pk_/sk_ key or a user JWT). */
export function as(key: string) {
  const headers = (extra?: Record<string, string>): Record<string, string> =>
    key.startsWith("pk_") || key.startsWith("sk_")
      ? { "X-API-Key": key, ...extra }
      : { Authorization: `Bearer ${key}`, ...extra };
  return {
    get: (path: string, extra?: Record<string, string>) => api(path, { headers: headers(extra) }),
    post: (path: string, json: unknown, extra?: Record<string, string>) =>
      api(path, { method: "POST", headers: headers(extra), json }),
    patch: (path: string, json: unknown, extra?: Record<string, string>) =>
      api(path, { method: "PATCH", headers: headers(extra), json }),
    put: (path: string, json: unknown, extra?: Record<string, string>) =>
      api(path, { method: "PUT", headers: headers(extra), json }),
    delete: (path: string, extra?: Record<string, string>) => api(path, { method: "DELETE", headers: headers(extra) }),
  };
}

/** Reads a JSON body after checking the status, with the body in the failure message. */
export async function expectStatus<T = unknown>(response: Response | Promise<Response>, status: number): Promise<T> {
  const resolved = await response;
  const text = await resolved.text();
  if (resolved.status !== status) throw new Error(`expected ${status}, got ${resolved.status}: ${text}`);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

/** A fresh project and a client with its secret key. */
export async function projectWithSecret(): Promise<{ project: TestProject; secret: ReturnType<typeof as> }> {
  const project = await createProject();
  return { project, secret: as(project.keys.secret) };
}

/** Creates documents through a collection batch (100 per call), returning them in order. */
export async function seed(
  client: ReturnType<typeof as>,
  collection: string,
  items: { id?: string; data: Record<string, unknown> }[],
): Promise<Doc[]> {
  const created: Doc[] = [];
  for (let i = 0; i < items.length; i += 100) {
    const chunk = items.slice(i, i + 100).map((item) => ({ op: "create", ...item }));
    const body = await expectStatus<{ results: Doc[] }>(
      client.post(`/v1/collections/${collection}/batch`, { operations: chunk }),
      200,
    );
    created.push(...body.results);
  }
  return created;
}

/** Sets a collection's rules with the secret key. */
export async function setRules(
  client: ReturnType<typeof as>,
  collection: string,
  rules: Record<string, string | null>,
) {
  return expectStatus(client.put(`/v1/collections/${collection}/rules`, rules), 200);
}

export const enc = encodeURIComponent;
