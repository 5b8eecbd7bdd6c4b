import { api, createProject, type TestProject } from "./helpers";

/** The secret-key header of a project. */
export const secret = (project: TestProject) => ({ "X-API-Key": project.keys.secret });

/** A project with one site (settings as given), created with the secret key. */
export async function siteProject(settings: Record<string, unknown> = {}, name = "www") {
  const project = await createProject();
  const response = await api("/v1/sites", { method: "POST", headers: secret(project), json: { name, ...settings } });
  if (response.status !== 201) throw new Error(`create site: ${response.status} ${await response.text()}`);
  return { project, site: name };
}
