import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Doc, enc, expectStatus, type Page, projectWithSecret, seed } from "./documents-helpers";
import { errorOf } from "./helpers";

const HOSTILE = ["'; DROP TABLE documents; --", '" OR 1=1 --', "') OR ('1'='1", "%", "_", "\\", "$.a", "\u0000", "é😀"];

async function hostileProject() {
  const context = await projectWithSecret();
  await seed(context.secret, "things", [
    ...HOSTILE.map((value, i) => ({ id: `h${i}`, data: { value, n: i } })),
    { id: "plain", data: { value: "plain", n: 100 } },
  ]);
  return context;
}

async function tablesIntact(projectId: string) {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM documents WHERE project_id = ?")
    .bind(projectId)
    .first<{ n: number }>();
  expect(row?.n).toBe(HOSTILE.length + 1);
}

describe("injection attempts", () => {
  it("treats hostile values as values: exact matches only, in both filter syntaxes", async () => {
    const { project, secret } = await hostileProject();
    for (const [i, value] of HOSTILE.entries()) {
      const byParam = await expectStatus<Page>(secret.get(`/v1/collections/things/documents?value=${enc(value)}`), 200);
      expect(
        byParam.items.map((d) => d.id),
        value,
      ).toEqual([`h${i}`]);
      const byExpression = await expectStatus<Page>(
        secret.get(`/v1/collections/things/documents?filter=${enc(`value == ${JSON.stringify(value)}`)}`),
        200,
      );
      expect(
        byExpression.items.map((d) => d.id),
        value,
      ).toEqual([`h${i}`]);
    }
    // LIKE wildcards mean nothing: `contains "%"` finds the one value containing a percent sign.
    const percent = await expectStatus<Page>(
      secret.get(`/v1/collections/things/documents?value_contains=${enc("%")}`),
      200,
    );
    expect(percent.items.map((d) => d.id)).toEqual(["h3"]);
    const underscore = await expectStatus<Page>(secret.get(`/v1/collections/things/documents?value_startswith=_`), 200);
    expect(underscore.items.map((d) => d.id)).toEqual(["h4"]);
    await tablesIntact(project.id);
  });

  it("refuses hostile field names, sort keys, projections, group_by and aggregate fields with 400", async () => {
    const { project, secret } = await hostileProject();
    const names = ["value'--", "a)or(1=1", "$.value", "value[0]", "a..b", "a b", "json_extract(data,'$.n')", "n;", "'"];
    for (const name of names) {
      const queries = [
        `documents?${enc(name)}=1`,
        `documents?${enc(`${name}_gte`)}=1`,
        `documents?filter=${enc(`${name} == 1`)}`,
        `documents?sort=${enc(name)}`,
        `documents?sort=${enc(`-${name}`)}`,
        `documents?select=${enc(name)}`,
        `documents?exclude=${enc(name)}`,
        `aggregate?operation=sum&field=${enc(name)}`,
        `aggregate?operation=count&group_by=${enc(name)}`,
        `count?${enc(name)}=1`,
      ];
      for (const query of queries) {
        const response = await secret.get(`/v1/collections/things/${query}`);
        expect(response.status, `${query} -> ${response.status}`).toBe(400);
        expect(["invalid_filter", "invalid_request"]).toContain((await errorOf(response)).code);
      }
    }
    await tablesIntact(project.id);
  });

  it("refuses hostile collection names and ids in paths and bodies", async () => {
    const { project, secret } = await hostileProject();
    // Dot segments are resolved by URL parsing before routing, so they reach another route (404).
    for (const collection of ["things'", "things%20OR%201", "th%22ings", "%2e%2e", "things;DROP"]) {
      expect([400, 404], collection).toContain((await secret.get(`/v1/collections/${collection}/documents`)).status);
      expect([400, 404], collection).toContain(
        (await secret.post(`/v1/collections/${collection}/documents`, { data: {} })).status,
      );
    }
    for (const id of ["h0'", "h0%27%20OR%20%271%27%3D%271", "..", ".hidden", "%2e%2e"]) {
      expect([400, 404], id).toContain((await secret.get(`/v1/collections/things/documents/${id}`)).status);
      expect([400, 404], id).toContain((await secret.delete(`/v1/collections/things/documents/${id}`)).status);
    }
    expect(
      (await secret.post("/v1/batch", { operations: [{ op: "delete", collection: "things' --", id: "h0" }] })).status,
    ).toBe(400);
    expect(
      (await secret.post("/v1/batch", { operations: [{ op: "delete", collection: "things", id: "h0' OR '1'='1" }] }))
        .status,
    ).toBe(400);
    await tablesIntact(project.id);
  });

  it("stores hostile strings as data, keys included, and reads them back unchanged", async () => {
    const { secret } = await projectWithSecret();
    const data = Object.fromEntries(HOSTILE.map((value, i) => [value, { i, value }]));
    const doc = await expectStatus<Doc>(secret.post("/v1/collections/raw/documents", { data }), 201);
    expect((await expectStatus<Doc>(secret.get(`/v1/collections/raw/documents/${doc.id}`), 200)).data).toEqual(data);
    const changes = await expectStatus<{ items: { data: unknown }[] }>(secret.get("/v1/collections/raw/changes"), 200);
    expect(changes.items[0]?.data).toEqual(data);
  });

  it("never lets rule text supplied by a filter reach another root", async () => {
    const { secret } = await hostileProject();
    // `auth` and `data` are rule roots: in a filter they are just document fields.
    const page = await expectStatus<Page>(
      secret.get(`/v1/collections/things/documents?filter=${enc("auth.id == null")}`),
      200,
    );
    expect(page.items).toHaveLength(HOSTILE.length + 1);
  });
});
