/**
 * The demo project's sample bucket `uploads`, open to the public key (every rule `true`), so the
 * README's storage quick start works as is. Never do this for real data: see docs/files.md#rules.
 */
import { adminRequest } from "./local-worker.mjs";

export const DEMO_BUCKET = "uploads";

/** Creates the demo bucket through the admin API unless it exists (its settings are then kept). */
export async function openDemoBucket(url, adminToken, projectId) {
  const created = await adminRequest(url, adminToken, "POST", `/v1/admin/projects/${projectId}/buckets`, {
    name: DEMO_BUCKET,
    rules: { read: "true", create: "true", update: "true", delete: "true" },
  });
  if (created.status !== 201 && created.status !== 409) {
    throw new Error(`Creating the demo bucket failed (HTTP ${created.status}: ${JSON.stringify(created.body)}).`);
  }
}
