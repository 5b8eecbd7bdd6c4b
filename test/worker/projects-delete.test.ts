import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectStatus, projectWithSecret } from "./documents-helpers";
import { adminHeaders, api } from "./helpers";

/** The names of the schema's document indexes made for one project (`fbx_<project>_…`). */
async function indexesOf(projectId: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ?1 ORDER BY name",
  )
    .bind(`fbx_${projectId}_%`)
    .all<{ name: string }>();
  return results.map((row) => row.name);
}

describe("deleting a project", () => {
  it("drops its documents' indexes from the schema, and leaves other projects' alone", async () => {
    const { project, secret } = await projectWithSecret();
    const other = await projectWithSecret();
    await expectStatus(secret.post("/v1/collections/users/indexes", { fields: ["age"] }), 201);
    await expectStatus(secret.post("/v1/collections/users/indexes", { fields: ["email"], unique: true }), 201);
    await expectStatus(secret.post("/v1/collections/orders/indexes", { fields: ["total"] }), 201);
    await expectStatus(other.secret.post("/v1/collections/users/indexes", { fields: ["age"] }), 201);
    expect(await indexesOf(project.id)).toHaveLength(3);

    const deleted = await api(`/v1/admin/projects/${project.id}`, { method: "DELETE", headers: adminHeaders });
    expect(deleted.status).toBe(204);

    expect(await indexesOf(project.id)).toEqual([]);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM document_indexes WHERE project_id = ?1")
      .bind(project.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
    expect(await indexesOf(other.project.id)).toHaveLength(1);
    await expectStatus(other.secret.get("/v1/collections/users/indexes"), 200);
  });

  it("answers 404 for a project that does not exist", async () => {
    const response = await api("/v1/admin/projects/pnosuchproject", { method: "DELETE", headers: adminHeaders });
    expect(response.status).toBe(404);
  });
});
