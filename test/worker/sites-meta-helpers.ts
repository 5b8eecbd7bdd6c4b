import { env } from "cloudflare:workers";
import type { PageMetaInput, PageMetaRecord } from "../../core/sites/page-meta";
import { api, createProject, type TestProject } from "./helpers";

/** The secret-key header of a project. */
export const secretKey = (project: TestProject) => ({ "X-API-Key": project.keys.secret });

/** A project with one site, for page meta. */
export async function metaProject(site = "www") {
  const project = await createProject();
  const now = new Date().toISOString();
  await env.DB.prepare("INSERT INTO sites (project_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)")
    .bind(project.id, site, now, now)
    .run();
  return { project, site };
}

/** The page-meta base URL of a site, for the secret key. */
export const metaUrl = (site: string, rest = "") => `/v1/sites/${site}/page-meta${rest}`;

/** Sets one record with the secret key; fails the test on anything but 200. */
export async function setMeta(project: TestProject, site: string, input: PageMetaInput): Promise<PageMetaRecord> {
  const response = await api(metaUrl(site), { method: "PUT", headers: secretKey(project), json: input });
  if (response.status !== 200) throw new Error(`setMeta: ${response.status} ${await response.text()}`);
  return response.json();
}
