import { describe, expect, it } from "vitest";
import { expectStatus, projectWithSecret } from "./documents-helpers";
import { errorOf } from "./helpers";

describe("rules name only values that exist for their operation", () => {
  it("refuses an unknown root, a root the operation never has, and an unknown auth field, naming what exists", async () => {
    const { secret } = await projectWithSecret();
    const rules = "/v1/collections/notes/rules";
    const refused = [
      [{ read: "document.owner == auth.id" }, "read", ["doc", "auth"]],
      [{ create: "doc.owner == auth.id" }, "create", ["data", "auth"]],
      [{ read: "data.owner == auth.id" }, "read", ["doc", "auth"]],
      [{ delete: "data.x == 1" }, "delete", ["doc", "auth"]],
      [{ read: "doc.owner == auth.user_id" }, "read", ["doc", "auth"]],
    ] as const;
    for (const [body, rule, roots] of refused) {
      const error = await errorOf(await secret.put(rules, body));
      expect(error, JSON.stringify(body)).toMatchObject({
        status: 400,
        code: "invalid_filter",
        details: { rule, roots },
      });
    }
    expect((await errorOf(await secret.put(rules, { read: "doc.a == auth.user_id" }))).message).toContain("auth.id");
    await expectStatus(
      secret.put(rules, {
        list: "doc.public == true",
        read: "doc.owner == auth.id || auth.role == 'admin'",
        create: "data.owner == auth.id && auth.kind == 'user'",
        update: "doc.owner == auth.id && data.owner == doc.owner",
        delete: "doc.owner == auth.id || auth.claims.admin == true",
      }),
      200,
    );
  });
});
