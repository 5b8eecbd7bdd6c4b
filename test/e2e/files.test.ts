import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FlarebaseError, storage } from "../../sdk/index";
import { createTestProject } from "./helpers";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function storageProject(settings: { public?: boolean } = {}) {
  const setup = await createTestProject();
  await storage(setup.secretClient).buckets.create("files", settings);
  return { ...setup, bucket: storage(setup.secretClient).bucket("files") };
}

describe("storage through the SDK", () => {
  it("uploads and downloads 0 B, 1 B and 50 MB byte-identical (sha-256), with progress", async () => {
    const { bucket } = await storageProject();
    for (const size of [0, 1, 50 * 1024 * 1024]) {
      const data = new Uint8Array(randomBytes(size));
      const progress: number[] = [];
      const file = await bucket.upload(`sizes/${size}.bin`, data, {
        onProgress: ({ loaded, total }) => {
          expect(total).toBe(size);
          progress.push(loaded);
        },
      });
      expect(file).toMatchObject({ path: `sizes/${size}.bin`, size, content_type: "application/octet-stream" });
      expect(progress.at(-1)).toBe(size);
      const downloaded = new Uint8Array(await (await bucket.download(`sizes/${size}.bin`)).arrayBuffer());
      expect(downloaded.byteLength).toBe(size);
      expect(sha256(downloaded)).toBe(sha256(data));
    }
  }, 120_000);

  it("a Blob keeps its type; ranges, metadata, list, remove", async () => {
    const { bucket } = await storageProject();
    const file = await bucket.upload("notes/a.txt", new Blob(["hello world"], { type: "text/plain" }), {
      metadata: { title: "Grüße" },
    });
    expect(file).toMatchObject({ content_type: "text/plain", metadata: { title: "Grüße" } });
    expect(await (await bucket.download("notes/a.txt", { range: { offset: 6 } })).text()).toBe("world");
    expect(await (await bucket.download("notes/a.txt", { range: { suffix: 5 } })).text()).toBe("world");
    expect(await (await bucket.download("notes/a.txt", { range: { offset: 0, length: 5 } })).text()).toBe("hello");
    const updated = await bucket.updateMetadata("notes/a.txt", { metadata: { title: null, lang: "en" } });
    expect(updated.metadata).toEqual({ lang: "en" });
    await bucket.upload("notes/deep/b.txt", "b");
    const listing = await bucket.list({ prefix: "notes/", delimiter: "/" });
    expect(listing.items.map((f) => f.path)).toEqual(["notes/a.txt"]);
    expect(listing.folders).toEqual([{ prefix: "notes/deep/" }]);
    expect(await bucket.remove(["notes/a.txt", "notes/none"])).toEqual({
      deleted: ["notes/a.txt"],
      not_found: ["notes/none"],
    });
    const missing = await bucket.getMetadata("notes/a.txt").catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(FlarebaseError);
    expect((missing as FlarebaseError).code).toBe("not_found");
  });

  it("createOnly and ifMatch", async () => {
    const { bucket } = await storageProject();
    const first = await bucket.upload("c.txt", "1", { createOnly: true });
    const again = await bucket.upload("c.txt", "2", { createOnly: true }).catch((error: unknown) => error);
    expect((again as FlarebaseError).code).toBe("precondition_failed");
    const replaced = await bucket.upload("c.txt", "2", { ifMatch: first.etag });
    expect(replaced.id).toBe(first.id);
  });

  it("a signed URL works with a plain fetch; a public bucket's URL too", async () => {
    const { bucket, secretClient } = await storageProject();
    await bucket.upload("private.txt", "secret bytes");
    const { url } = await bucket.createSignedUrl("private.txt", { expiresIn: 60 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("secret bytes");
    expect((await fetch(url.replace("private.txt", "other.txt"))).status).toBe(403);

    await storage(secretClient).buckets.create("public", { public: true });
    const open = storage(secretClient).bucket("public");
    await open.upload("logo.svg", "<svg/>", { contentType: "image/svg+xml" });
    const publicUrl = await open.getUrl("logo.svg");
    const anonymous = await fetch(publicUrl);
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get("content-security-policy")).toBe("sandbox");
    expect(await open.getUrlByPath("/logo.svg")).toBe(publicUrl);
    expect(await open.getUrlByPath("/missing.svg")).toBeNull();
  });

  it("the seed's names work as aliases", async () => {
    const { bucket } = await storageProject();
    const byPath = await bucket.uploadByPath("/profiles/user123/avatar.png", new Uint8Array([1, 2, 3]), {
      contentType: "image/png",
    });
    expect(byPath.path).toBe("profiles/user123/avatar.png");
    expect((await bucket.getByPath("/profiles/user123/avatar.png")).id).toBe(byPath.id);
    const generated = await bucket.uploadFile(new Uint8Array([4]), { folder: "uploads" });
    expect(generated.path).toMatch(/^uploads\//);
    expect((await bucket.getFiles()).map((f) => f.path)).toEqual([byPath.path, generated.path].sort());
    await bucket.deleteFile("/profiles/user123/avatar.png");
    expect(await bucket.getUrlByPath("/profiles/user123/avatar.png")).toBeNull();
  });

  it("the admin client manages buckets and quotas", async () => {
    const { admin, project, secretClient } = await createTestProject();
    const buckets = admin.storage.buckets(project.id);
    await buckets.create("media", { allowed_content_types: ["image/*"] });
    expect((await buckets.list()).items.map((b) => b.name)).toEqual(["media"]);
    await admin.storage.setQuota(project.id, 4);
    const media = storage(secretClient).bucket("media");
    const tooBig = await media.upload("a.png", "12345", { contentType: "image/png" }).catch((error: unknown) => error);
    expect((tooBig as FlarebaseError).code).toBe("quota_exceeded");
    const wrongType = await media.upload("a.txt", "1", { contentType: "text/plain" }).catch((error: unknown) => error);
    expect((wrongType as FlarebaseError).code).toBe("unsupported_media_type");
    expect(await admin.storage.usage(project.id)).toEqual({ used_bytes: 0, file_count: 0, quota_bytes: 4 });
  });

  it("storage(client) is one object per client and refuses what createClient did not make", async () => {
    const { secretClient } = await createTestProject();
    expect(storage(secretClient)).toBe(storage(secretClient));
    const lookalike = { ...secretClient };
    expect(() => storage(lookalike)).toThrow(TypeError);
  });
});
