/**
 * The open sample collection of the local demo project (`npm run dev`, `npm run test:browser`).
 *
 * Collections are closed to public keys until they have rules (secure by default), so a fresh
 * project could not run the README's quick start with its public key. The demo project gets one
 * collection, `notes`, that anyone may list, read, create, update and delete. Its rules are set
 * through the real admin rules API, exactly as an operator would set them.
 */
import { adminRequest } from "./local-worker.mjs";

/** The sample collection's name; the README and docs quick start use it. */
export const DEMO_COLLECTION = "notes";

/** Every operation allowed to anyone: fine for a local demo, never for real data. */
export const DEMO_RULES = { list: "true", read: "true", create: "true", update: "true", delete: "true" };

const rulesPath = (projectId) =>
  `/v1/admin/projects/${encodeURIComponent(projectId)}/collections/${DEMO_COLLECTION}/rules`;

/**
 * Opens the sample collection of `projectId`. With `onlyIfUnset`, rules someone has already
 * set on it are kept (a reused demo project keeps the developer's own changes).
 *
 * @returns {Promise<"set" | "kept">}
 */
export async function openDemoCollection(url, adminToken, projectId, { onlyIfUnset = false } = {}) {
  if (onlyIfUnset) {
    const current = await adminRequest(url, adminToken, "GET", rulesPath(projectId));
    if (current.status !== 200) {
      throw new Error(
        `Reading the rules of "${DEMO_COLLECTION}" failed (HTTP ${current.status}: ${JSON.stringify(current.body)}).`,
      );
    }
    if (Object.keys(current.body.rules ?? {}).length > 0) return "kept";
  }
  const set = await adminRequest(url, adminToken, "PUT", rulesPath(projectId), DEMO_RULES);
  if (set.status !== 200) {
    throw new Error(
      `Opening the sample collection "${DEMO_COLLECTION}" failed (HTTP ${set.status}: ${JSON.stringify(set.body)}).`,
    );
  }
  return "set";
}
