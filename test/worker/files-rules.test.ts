import { describe, expect, it } from "vitest";
import type { FileRecord } from "../../core/files/wire";
import { formatFilter, matches, parseRule } from "../../core/query";
import { parseBucketRule } from "../../data/files/access";
import { credentials, download, objectPath, patchBucket, storageProject, upload } from "./files-helpers";
import { api, errorOf, mintToken } from "./helpers";

/** Each user keeps to their own folder; anyone signed in reads anything under public/. */
const OWN_FOLDER = {
  read: 'file.path startswith "users/" + auth.id + "/" || file.path startswith "public/"',
  create: 'file.path startswith "users/" + auth.id + "/" && file.size <= 1000 && file.content_type startswith "image/"',
  update: 'file.path startswith "users/" + auth.id + "/"',
  delete: 'file.path startswith "users/" + auth.id + "/"',
};

describe("bucket rules", () => {
  it("the language joins strings with +, and a missing part matches nothing", () => {
    const rule = parseBucketRule('file.path startswith "users/" + auth.id + "/"');
    expect(formatFilter(rule, "rule")).toBe('doc.path startswith "users/" + auth.id + "/"');
    const auth = (id: string | null) => ({ id, role: null, kind: "user", claims: {} });
    expect(matches(rule, { doc: { path: "users/u1/a.png" }, auth: auth("u1") })).toBe(true);
    expect(matches(rule, { doc: { path: "users/u10/a.png" }, auth: auth("u1") })).toBe(false);
    expect(matches(rule, { doc: { path: "users//a.png" }, auth: auth(null) })).toBe(false);
    expect(() => parseBucketRule("doc.path == 1")).toThrow(/file or auth/);
    expect(() => parseRule('doc.a == 1 + "x"')).toThrow(/Only fields and strings/);
    expect(() => parseRule('doc.a + "x"')).toThrow(/compare it/);
  });

  it("secure by default: without rules, public keys and users can do nothing", async () => {
    const { secret, publicKey, user } = await storageProject();
    await upload(secret, "files", "a.txt", "a");
    for (const key of [publicKey, user]) {
      expect(await errorOf(await download(key, "files", "a.txt"))).toMatchObject({ status: 403, code: "forbidden" });
      expect(await errorOf(await upload(key, "files", "b.txt", "b"))).toMatchObject({ status: 403, code: "forbidden" });
      const list = await api("/v1/storage/buckets/files/objects", { headers: credentials(key) });
      expect(list.status).toBe(403);
      const del = await api(objectPath("files", "a.txt"), { method: "DELETE", headers: credentials(key) });
      expect(del.status).toBe(403);
    }
    // No credentials at all on a private bucket: 401, whether or not the project is named.
    expect((await download(null, "files", "a.txt")).status).toBe(401);
  });

  it("a user's own folder: create, read, update, delete there and nowhere else", async () => {
    const { project, secret, user } = await storageProject({ rules: OWN_FOLDER }, "u1");
    const other = (await mintToken(project, { user_id: "u2" })).token;
    const png = { "Content-Type": "image/png" };
    const mine = await upload(user, "files", "users/u1/avatar.png", "png", png);
    expect(mine.status).toBe(201);
    expect(((await mine.json()) as FileRecord).uploaded_by).toBe("u1");
    expect((await upload(user, "files", "users/u2/avatar.png", "png", png)).status).toBe(403);
    expect((await upload(user, "files", "users/u1x/avatar.png", "png", png)).status).toBe(403);
    expect((await upload(user, "files", "users/u1/big.png", "x".repeat(1001), png)).status).toBe(403);
    expect((await upload(user, "files", "users/u1/a.txt", "text", { "Content-Type": "text/plain" })).status).toBe(403);
    await upload(secret, "files", "users/u2/theirs.png", "png", png);
    await upload(secret, "files", "public/notice.txt", "hi");

    expect(await (await download(user, "files", "users/u1/avatar.png")).text()).toBe("png");
    expect(await (await download(user, "files", "public/notice.txt")).text()).toBe("hi");
    // Another user's file is hidden by the read rule: 404, not 403, so its existence does not leak.
    expect((await download(user, "files", "users/u2/theirs.png")).status).toBe(404);
    expect((await download(other, "files", "users/u1/avatar.png")).status).toBe(404);
    const del = await api(objectPath("files", "users/u2/theirs.png"), { method: "DELETE", headers: credentials(user) });
    expect(del.status).toBe(404);

    // Listing is filtered by the read rule in SQL: only readable files, only folders holding one.
    const list = (await (
      await api("/v1/storage/buckets/files/objects?delimiter=/&prefix=users/", { headers: credentials(user) })
    ).json()) as { folders: { prefix: string }[] };
    expect(list.folders).toEqual([{ prefix: "users/u1/" }]);
    const flat = (await (await api("/v1/storage/buckets/files/objects", { headers: credentials(user) })).json()) as {
      items: FileRecord[];
    };
    expect(flat.items.map((f) => f.path)).toEqual(["public/notice.txt", "users/u1/avatar.png"]);

    // Update: replacing the own file is allowed; a public key (auth.id null) gets nothing.
    expect((await upload(user, "files", "users/u1/avatar.png", "png2", png)).status).toBe(200);
    expect((await upload(project.keys.public, "files", "users/u1/avatar.png", "x", png)).status).toBe(404);
    const own = await api(objectPath("files", "users/u1/avatar.png"), { method: "DELETE", headers: credentials(user) });
    expect(own.status).toBe(200);
  });

  it("rules over metadata decide metadata updates", async () => {
    const { secret, user } = await storageProject({
      rules: { read: "true", update: 'file.metadata.locked != "yes"' },
    });
    await upload(secret, "files", "doc.txt", "d");
    const patch = (metadata: Record<string, string | null>) =>
      api("/v1/storage/buckets/files/metadata/doc.txt", {
        method: "PATCH",
        headers: credentials(user),
        json: { metadata },
      });
    expect((await patch({ title: "ok" })).status).toBe(200);
    expect((await patch({ locked: "yes" })).status).toBe(403);
  });

  it("a public bucket is readable by anyone, without a key; its writes still need rules", async () => {
    const { project, secret, publicKey } = await storageProject({ public: true });
    const file = (await (
      await upload(secret, "files", "logo.png", "png", { "Content-Type": "image/png" })
    ).json()) as FileRecord;
    const anonymous = await fetchUrl(file.url);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.text()).toBe("png");
    expect(anonymous.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect((await download(publicKey, "files", "logo.png")).status).toBe(200);
    const list = await api(`/v1/storage/buckets/files/objects?project=${project.id}`);
    expect(list.status).toBe(200);
    expect((await upload(publicKey, "files", "x.png", "x")).status).toBe(403);
    expect((await upload(null, "files", "x.png", "x")).status).toBe(401);
    // A private bucket of the same project stays closed to anonymous readers.
    await api("/v1/storage/buckets", { method: "POST", headers: credentials(secret), json: { name: "private" } });
    await upload(secret, "private", "p.txt", "p");
    expect((await download(null, "private", "p.txt", {}, `?project=${project.id}`)).status).toBe(401);
    expect((await download(null, "missing", "p.txt", {}, `?project=${project.id}`)).status).toBe(401);
    // Turning public off closes it again.
    await patchBucket(project, "files", { public: false });
    expect((await fetchUrl(file.url)).status).toBe(401);
  });

  it("a rule that does not parse is refused when set", async () => {
    const { project } = await storageProject();
    const response = await api("/v1/storage/buckets/files", {
      method: "PATCH",
      headers: credentials(project.keys.secret),
      json: { rules: { read: "doc.path == 1" } },
    });
    expect(await errorOf(response)).toMatchObject({ status: 400, code: "invalid_filter", details: { rule: "read" } });
  });
});

/** Fetches an absolute URL the API handed out, through the in-process worker. */
function fetchUrl(url: string) {
  const { pathname, search } = new URL(url);
  return api(`${pathname}${search}`);
}
