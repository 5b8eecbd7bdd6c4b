import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PageMetaInput } from "../../core/sites/page-meta";
import { applyPageMeta } from "../../worker/sites/meta/apply-page-meta";
import { api, type TestProject } from "./helpers";
import { metaProject, secretKey, setMeta } from "./sites-meta-helpers";
import { htmlResponse, metaContents, parseHead, SPA_INDEX } from "./sites-meta-html";

const POSTS: PageMetaInput = {
  path: "/posts/:id",
  title: "The blog",
  og_type: "article",
  document: {
    collection: "posts",
    id: ":id",
    fields: { title: "data.title", description: "data.summary", image: "data.cover.url", json_ld: "data.schema" },
  },
};

async function blog(readRule: string | null = "doc.published == true") {
  const { project, site } = await metaProject();
  if (readRule !== null) {
    const rules = await api("/v1/collections/posts/rules", {
      method: "PUT",
      headers: secretKey(project),
      json: { read: readRule },
    });
    expect(rules.status).toBe(200);
  }
  await setMeta(project, site, POSTS);
  return { project, site };
}

async function writePost(project: TestProject, id: string, data: Record<string, unknown>) {
  const response = await api(`/v1/collections/posts/documents/${id}`, {
    method: "PUT",
    headers: secretKey(project),
    json: { data },
  });
  expect(response.status).toBeLessThan(300);
}

async function headFor(project: TestProject, site: string, path: string) {
  const response = await applyPageMeta(env, { projectId: project.id, site, path }, htmlResponse(SPA_INDEX));
  return parseHead(await response.text());
}

describe("page meta bound to a document", () => {
  it("takes title, description, image and JSON-LD from the document the path names", async () => {
    const { project, site } = await blog();
    await writePost(project, "hello", {
      published: true,
      title: "Hello world",
      summary: "The first post",
      cover: { url: "https://cdn.example/hello.png" },
      schema: { "@type": "BlogPosting", headline: "Hello world" },
    });
    const head = await headFor(project, site, "/posts/hello");
    expect(head.titles).toEqual(["Hello world"]);
    expect(metaContents(head, "og:title")).toEqual(["Hello world"]);
    expect(metaContents(head, "description")).toEqual(["The first post"]);
    expect(metaContents(head, "og:image")).toEqual(["https://cdn.example/hello.png"]);
    expect(metaContents(head, "og:type")).toEqual(["article"]); // the record's own value
    expect(head.jsonLd.map((json) => JSON.parse(json))).toEqual([{ "@type": "BlogPosting", headline: "Hello world" }]);
  });

  it("gives no meta for a document the public key may not read, a missing one, or a collection without a read rule", async () => {
    const { project, site } = await blog();
    await writePost(project, "draft", { published: false, title: "Secret draft", summary: "Not yet" });
    const draft = await headFor(project, site, "/posts/draft");
    expect(draft.titles).toEqual(["My App"]); // not even the record's fallback title
    expect(JSON.stringify(draft)).not.toContain("Secret");
    expect((await headFor(project, site, "/posts/missing")).titles).toEqual(["My App"]);
    expect((await headFor(project, site, "/posts/not%20an%20id")).titles).toEqual(["My App"]);

    const closed = await blog(null);
    await writePost(closed.project, "hello", { published: true, title: "Hello" });
    expect((await headFor(closed.project, closed.site, "/posts/hello")).titles).toEqual(["My App"]);
  });

  it("reads the document on every request: an edit, or hiding it, shows at once", async () => {
    const { project, site } = await blog();
    await writePost(project, "p1", { published: true, title: "First title" });
    expect((await headFor(project, site, "/posts/p1")).titles).toEqual(["First title"]);
    await writePost(project, "p1", { published: true, title: "Second title" });
    expect((await headFor(project, site, "/posts/p1")).titles).toEqual(["Second title"]);
    await writePost(project, "p1", { published: false, title: "Second title" });
    expect((await headFor(project, site, "/posts/p1")).titles).toEqual(["My App"]);
  });

  it("falls back to the record's values where the document has no usable one", async () => {
    const { project, site } = await blog("true");
    await writePost(project, "bare", {
      title: 42,
      summary: { not: "text" },
      cover: { url: "javascript:alert(1)" },
      schema: "not an object",
    });
    const head = await headFor(project, site, "/posts/bare");
    expect(head.titles).toEqual(["42"]);
    expect(metaContents(head, "description")).toEqual(["The generic description"]); // the template's
    expect(metaContents(head, "og:image")).toEqual(["https://cdn.example/default.png"]); // the template's
    expect(head.jsonLd).toEqual(['{"@type":"WebSite","name":"My App"}']);
  });

  it("escapes hostile document values like any other", async () => {
    const { project, site } = await blog("true");
    const hostile = `"><script>alert(1)</script><!-- </title> & é 😀\n`;
    await writePost(project, "x", { title: hostile, summary: hostile, schema: { name: "</script><!--" } });
    const head = await headFor(project, site, "/posts/x");
    expect(head.titles).toEqual([hostile]);
    expect(metaContents(head, "description")).toEqual([hostile]);
    expect(head.jsonLd).toHaveLength(1);
    expect(JSON.parse(head.jsonLd[0] as string)).toEqual({ name: "</script><!--" });
    expect(head.tags.filter((tag) => tag === "script")).toHaveLength(2);
  });

  it("applies rules over auth for a public caller, and an exact path may name a literal document", async () => {
    const { project, site } = await blog('auth.kind == "public" && doc.visibility == "public"');
    await writePost(project, "about", { visibility: "public", title: "About us" });
    await setMeta(project, site, {
      path: "/about",
      document: { collection: "posts", id: "about", fields: { title: "data.title", canonical: "data.url" } },
    });
    expect((await headFor(project, site, "/about")).titles).toEqual(["About us"]);
    expect((await headFor(project, site, "/posts/about")).titles).toEqual(["About us"]);
  });
});
