import { describe, expect, it } from "vitest";
import { signInAnonymously, signUp } from "./accounts-helpers";
import { as, expectStatus, setRules } from "./documents-helpers";
import { download, upload } from "./files-helpers";
import { api, createProject } from "./helpers";

describe("rules with account tokens", () => {
  it("documents: a user owns what it creates and sees only that", async () => {
    const project = await createProject();
    await setRules(as(project.keys.secret), "notes", {
      read: "doc.owner == auth.id",
      create: "auth.id != null && data.owner == auth.id",
    });
    const ada = await signUp(project, "ada@example.com");
    const guest = await signInAnonymously(project);
    const mine = await expectStatus<{ id: string }>(
      as(ada.access_token).post("/v1/collections/notes/documents", { data: { owner: ada.user.id, text: "hi" } }),
      201,
    );
    expect(
      (await as(guest.access_token).post("/v1/collections/notes/documents", { data: { owner: ada.user.id } })).status,
    ).toBe(403);
    expect((await as(ada.access_token).get(`/v1/collections/notes/documents/${mine.id}`)).status).toBe(200);
    expect((await as(guest.access_token).get(`/v1/collections/notes/documents/${mine.id}`)).status).toBe(404);
    const list = await expectStatus<{ items: unknown[] }>(
      as(guest.access_token).get("/v1/collections/notes/documents"),
      200,
    );
    expect(list.items).toEqual([]);
  });

  it("files: a user writes in its own folder, by its account's user id", async () => {
    const project = await createProject();
    const bucket = await api("/v1/storage/buckets", {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret },
      json: {
        name: "files",
        rules: {
          read: 'file.path startswith "users/" + auth.id + "/"',
          create: 'file.path startswith "users/" + auth.id + "/"',
        },
      },
    });
    expect(bucket.status).toBe(201);
    const { user, access_token } = await signUp(project, "files@example.com");
    const other = await signInAnonymously(project);
    expect((await upload(access_token, "files", `users/${user.id}/a.txt`, "mine")).status).toBe(201);
    expect((await upload(access_token, "files", `users/${other.user.id}/a.txt`, "theirs")).status).toBe(403);
    expect(await (await download(access_token, "files", `users/${user.id}/a.txt`)).text()).toBe("mine");
    expect((await download(other.access_token, "files", `users/${user.id}/a.txt`)).status).toBe(404);
  });
});
