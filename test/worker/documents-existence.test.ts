import { describe, expect, it } from "vitest";
import { as, expectStatus, projectWithSecret, seed, setRules } from "./documents-helpers";
import { errorOf, mintToken } from "./helpers";

const secrets = "/v1/collections/secrets/documents";

/** bob's document "y1", hidden from ann by the read rule; ann may create only her own documents. */
async function hiddenDocument() {
  const { project, secret } = await projectWithSecret();
  await setRules(secret, "secrets", {
    read: "doc.owner == auth.id",
    create: "data.owner == auth.id",
    update: "doc.owner == auth.id",
    delete: "doc.owner == auth.id",
  });
  await seed(secret, "secrets", [{ id: "y1", data: { owner: "bob", text: "private" } }]);
  const ann = as((await mintToken(project, { user_id: "ann" })).token);
  return { secret, ann };
}

/** The parts of an error that must not depend on whether the id exists (the id itself aside). */
async function answer(response: Response, id: string) {
  const { status, code, message, details } = await errorOf(response);
  return { status, code, message: message.replaceAll(id, "<id>"), details: { ...(details as object), id: "<id>" } };
}

describe("writes do not tell whether a hidden id exists", () => {
  it("a refused create answers the same at a taken id and at a free one, POST, PUT and batch alike", async () => {
    const { secret, ann } = await hiddenDocument();
    const refused = { owner: "bob" };
    const post = (id: string) => ann.post(secrets, { id, data: refused });
    expect(await answer(await post("y1"), "y1")).toEqual(await answer(await post("free1"), "free1"));
    expect((await errorOf(await post("y1"))).code).toBe("forbidden");
    const put = (id: string) => ann.put(`${secrets}/${id}`, { data: refused });
    expect(await answer(await put("y1"), "y1")).toEqual(await answer(await put("free2"), "free2"));
    const batch = (id: string) =>
      ann.post("/v1/batch", { operations: [{ op: "create", collection: "secrets", id, data: refused }] });
    expect(await answer(await batch("y1"), "y1")).toEqual(await answer(await batch("free3"), "free3"));
    const stored = await expectStatus<{ data: unknown; version: number }>(secret.get(`${secrets}/y1`), 200);
    expect(stored).toMatchObject({ data: { owner: "bob", text: "private" }, version: 1 });
  });

  it("If-Match on a hidden id and on a free id both answer not_found, where a read rule applies", async () => {
    const { ann } = await hiddenDocument();
    for (const [method, body] of [
      ["PATCH", { data: { owner: "ann" } }],
      ["PUT", { data: { owner: "ann" } }],
      ["DELETE", undefined],
    ] as const) {
      const send = (id: string) =>
        method === "PATCH"
          ? ann.patch(`${secrets}/${id}`, body, { "If-Match": '"1"' })
          : method === "PUT"
            ? ann.put(`${secrets}/${id}`, body, { "If-Match": '"1"' })
            : ann.delete(`${secrets}/${id}`, { "If-Match": '"1"' });
      const hidden = await answer(await send("y1"), "y1");
      expect(hidden, method).toEqual(await answer(await send("free4"), "free4"));
      expect(hidden, method).toMatchObject({ status: 404, code: "not_found" });
    }
  });

  it("a caller allowed to create learns that an id is taken (documented), nothing more", async () => {
    const { secret, ann } = await hiddenDocument();
    const taken = await errorOf(await ann.post(secrets, { id: "y1", data: { owner: "ann" } }));
    expect(taken).toMatchObject({ status: 409, code: "conflict", details: { collection: "secrets", id: "y1" } });
    expect(await errorOf(await ann.put(`${secrets}/y1`, { data: { owner: "ann" } }))).toMatchObject({ status: 404 });
    await expectStatus(ann.put(`${secrets}/free5`, { data: { owner: "ann" } }), 201);
    const stored = await expectStatus<{ data: unknown }>(secret.get(`${secrets}/y1`), 200);
    expect(stored.data).toEqual({ owner: "bob", text: "private" });
  });
});
