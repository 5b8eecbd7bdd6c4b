import type { PageMetaInput, PageMetaRecord } from "../../core/sites/page-meta";
import { api, type TestProject } from "./helpers";
import { secret, siteProject } from "./sites-helpers";

/** The secret-key header of a project. */
export const secretKey = secret;

/** A project with one site (made through the sites API), for page meta. */
export const metaProject = (site = "www") => siteProject({}, site);

/** The page-meta base URL of a site, for the secret key. */
export const metaUrl = (site: string, rest = "") => `/v1/sites/${site}/page-meta${rest}`;

/** Sets one record with the secret key; fails the test on anything but 200. */
export async function setMeta(project: TestProject, site: string, input: PageMetaInput): Promise<PageMetaRecord> {
  const response = await api(metaUrl(site), { method: "PUT", headers: secretKey(project), json: input });
  if (response.status !== 200) throw new Error(`setMeta: ${response.status} ${await response.text()}`);
  return response.json();
}
