import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CollectionAccess } from "../../data/documents/access";
import { expectStatus, projectWithSecret } from "./documents-helpers";

describe("CollectionAccess", () => {
  it("parses each rule once and evaluates it for every document", async () => {
    const { project, secret } = await projectWithSecret();
    await expectStatus(
      secret.put("/v1/collections/notes/rules", { read: "doc.owner == auth.id", create: "auth.id != null" }),
      200,
    );
    const caller = { projectId: project.id, kind: "user" as const, userId: "ann", role: null, claims: {} };
    const access = await CollectionAccess.load(env.DB, caller, "notes");

    // A list without its own rule uses the read rule: one AST for both, the same on every call.
    const condition = access.listCondition();
    expect(access.listCondition()).toBe(condition);
    expect(access.allows("read", { doc: { owner: "ann" } })).toBe(true);
    expect(access.allows("read", { doc: { owner: "bob" } })).toBe(false);
    expect(access.allows("create", { data: {} })).toBe(true);
    expect(() => access.allows("delete", { doc: { owner: "ann" } })).toThrow(/no delete rule/);
  });
});
