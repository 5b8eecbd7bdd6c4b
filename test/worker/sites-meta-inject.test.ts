import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PageMetaInput } from "../../core/sites/page-meta";
import { applyPageMeta } from "../../worker/sites/meta/apply-page-meta";
import { metaProject, setMeta } from "./sites-meta-helpers";
import { htmlResponse, metaContents, parseHead, SPA_INDEX } from "./sites-meta-html";

/** Sets `input` on a fresh site and serves `html` for `path` through page meta. */
async function served(input: PageMetaInput, html = SPA_INDEX, path = input.path) {
  const { project, site } = await metaProject();
  await setMeta(project, site, input);
  const response = await applyPageMeta(env, { projectId: project.id, site, path }, htmlResponse(html));
  return { response, text: await response.text() };
}

/** Every kind of character that could end a context it is written into, in one value. */
const HOSTILE = `He said "hi" & 'bye' <b>x</b></title></script><script>alert(1)</script><!-- --> \n\r\t é 漢字 😀 \u2028\u2029 &amp; &#x3c;`;

describe("page meta injection into a built page", () => {
  it("replaces the title and the template's description, OG, Twitter, canonical and JSON-LD tags", async () => {
    const { text } = await served({
      path: "/products/1",
      title: "Phone X",
      description: "Best phone",
      image: "https://cdn.example/phone.png",
      og_type: "product",
      canonical: "https://shop.example/products/1",
      json_ld: { "@context": "https://schema.org", "@type": "Product", name: "Phone X" },
    });
    const head = await parseHead(text);
    expect(head.titles).toEqual(["Phone X"]);
    expect(metaContents(head, "description")).toEqual(["Best phone"]);
    expect(metaContents(head, "og:title")).toEqual(["Phone X"]);
    expect(metaContents(head, "twitter:title")).toEqual(["Phone X"]);
    expect(metaContents(head, "og:description")).toEqual(["Best phone"]);
    expect(metaContents(head, "og:image")).toEqual(["https://cdn.example/phone.png"]);
    expect(metaContents(head, "twitter:image")).toEqual(["https://cdn.example/phone.png"]);
    expect(metaContents(head, "twitter:card")).toEqual(["summary_large_image"]);
    expect(metaContents(head, "og:type")).toEqual(["product"]);
    expect(metaContents(head, "og:url")).toEqual(["https://shop.example/products/1"]);
    expect(head.canonicals).toEqual(["https://shop.example/products/1"]);
    expect(head.jsonLd.map((json) => JSON.parse(json))).toEqual([
      { "@context": "https://schema.org", "@type": "Product", name: "Phone X" },
    ]);
    // The template's other tags stay; the SVG's <title> in the body is not the page's.
    expect(metaContents(head, "viewport")).toEqual(["width=device-width, initial-scale=1"]);
    expect(head.metas.some((meta) => meta.charset === "utf-8")).toBe(true);
    expect(text).toContain('<script type="module" src="/assets/app.3f9a.js"></script>');
    expect(text).toContain("<svg><title>an icon</title></svg>");
    expect(text).toContain('<div id="root"></div>');
  });

  it("leaves the page's own tags alone for the fields a record does not set", async () => {
    const { text } = await served({ path: "/about", description: "About us" });
    const head = await parseHead(text);
    expect(head.titles).toEqual(["My App"]);
    expect(metaContents(head, "description")).toEqual(["About us"]);
    expect(metaContents(head, "og:image")).toEqual(["https://cdn.example/default.png"]);
    expect(metaContents(head, "twitter:card")).toEqual([]);
    expect(head.canonicals).toEqual(["https://example.com/"]);
    expect(head.jsonLd).toEqual(['{"@type":"WebSite","name":"My App"}']);
    expect(metaContents(head, "robots")).toEqual([]);
  });

  it("adds every tag to a page that has none of them, title included", async () => {
    const bare = "<!doctype html><html><head><meta charset=utf-8></head><body><p>hi</p></body></html>";
    const { text } = await served(
      {
        path: "/",
        title: "Home",
        description: "Welcome",
        robots_noindex: true,
        canonical: "https://example.com/",
        json_ld: { "@type": "WebSite" },
        meta: [
          { name: "author", content: "Ann" },
          { property: "og:locale", content: "en_GB" },
        ],
      },
      bare,
    );
    const head = await parseHead(text);
    expect(head.titles).toEqual(["Home"]);
    expect(metaContents(head, "description")).toEqual(["Welcome"]);
    expect(metaContents(head, "robots")).toEqual(["noindex"]);
    expect(metaContents(head, "author")).toEqual(["Ann"]);
    expect(metaContents(head, "og:locale")).toEqual(["en_GB"]);
    expect(head.canonicals).toEqual(["https://example.com/"]);
    expect(head.jsonLd).toEqual(['{"@type":"WebSite"}']);
    expect(text).toContain("<body><p>hi</p></body>");
  });

  it("puts the tags before <body> when </head> is omitted, and at the end when both are", async () => {
    const noHeadEnd = await served(
      { path: "/", title: "T", description: "D" },
      "<html><head><title>x</title><body>b</body></html>",
    );
    expect(noHeadEnd.text).toMatch(
      /^<html><head><title>T<\/title><meta [^<]*content="T">.*<meta name="description" content="D">.*<body>b<\/body><\/html>$/s,
    );
    const fragment = await served({ path: "/", title: "T" }, "<p>just a fragment</p>");
    expect(fragment.text).toBe(
      '<p>just a fragment</p><title>T</title><meta property="og:title" content="T"><meta name="twitter:title" content="T">',
    );
  });

  it("lets an extra meta tag replace a derived one (twitter:card) and the template's tag of any case", async () => {
    const html =
      '<html><head><meta NAME="Twitter:Card" content="summary"><meta name="og:title" content="by name"></head></html>';
    const { text } = await served(
      {
        path: "/",
        title: "T",
        image: "https://cdn.example/i.png",
        meta: [{ name: "twitter:card", content: "player" }],
      },
      html,
    );
    const head = await parseHead(text);
    expect(head.metas.filter((meta) => /twitter:card/i.test(meta.name ?? ""))).toEqual([
      { name: "twitter:card", content: "player" },
    ]);
    expect(metaContents(head, "og:title")).toEqual(["T"]);
  });

  it("drops the template's structured properties of a replaced image (og:image:width, twitter:image:alt)", async () => {
    const html = `<html><head>
      <meta property="og:image" content="https://cdn.example/default.png">
      <meta property="og:image:width" content="1200"><meta property="og:image:alt" content="The logo">
      <meta name="twitter:image:alt" content="The logo"><meta property="og:locale" content="en_US">
    </head></html>`;
    const { text } = await served({ path: "/", image: "https://cdn.example/phone.png" }, html);
    const head = await parseHead(text);
    expect(metaContents(head, "og:image")).toEqual(["https://cdn.example/phone.png"]);
    for (const gone of ["og:image:width", "og:image:alt", "twitter:image:alt"])
      expect(metaContents(head, gone)).toEqual([]);
    expect(metaContents(head, "og:locale")).toEqual(["en_US"]);
  });

  it("escapes hostile text in every field: the page's structure stays exactly as built", async () => {
    const url = `https://example.com/a?q="><script>alert(1)</script>&x='<!--`;
    const { text } = await served({
      path: "/hostile",
      title: HOSTILE,
      description: HOSTILE,
      image: url,
      canonical: url,
      og_type: "article",
      json_ld: { name: HOSTILE, "</script>": ["<!--", "-->", "<script>"] },
      meta: [
        { name: "author", content: HOSTILE },
        { property: "article:tag", content: HOSTILE },
      ],
    });
    const head = await parseHead(text);
    expect(head.titles).toEqual([HOSTILE]);
    for (const key of ["description", "og:description", "twitter:description", "og:title", "author", "article:tag"]) {
      expect(metaContents(head, key)).toEqual([HOSTILE]);
    }
    expect(metaContents(head, "og:image")).toEqual([url]);
    expect(head.canonicals).toEqual([url]);
    expect(head.jsonLd).toHaveLength(1);
    expect(JSON.parse(head.jsonLd[0] as string)).toEqual({ name: HOSTILE, "</script>": ["<!--", "-->", "<script>"] });
    expect(head.jsonLd[0]).not.toMatch(/[<>]/);
    // No element or comment was added beyond the tags page meta writes.
    const template = await parseHead(SPA_INDEX);
    expect(head.comments).toBe(template.comments);
    expect(head.tags.filter((tag) => tag === "script")).toHaveLength(2); // the JSON-LD and the app's module
    expect(head.tags.filter((tag) => !["meta", "link", "title", "script"].includes(tag))).toEqual(
      template.tags.filter((tag) => !["meta", "link", "title", "script"].includes(tag)),
    );
  });

  it("reads the seed's json_ld string and escapes < in it as \\u003c", async () => {
    const { text } = await served({
      path: "/",
      json_ld: JSON.stringify({ "@type": "Product", name: "</script><!--x" }),
    });
    expect(text).toContain(
      '<script type="application/ld+json">{"@type":"Product","name":"\\u003c/script\\u003e\\u003c!--x"}</script>',
    );
  });

  it("passes through what is not a 200 of uncompressed HTML, untouched", async () => {
    const { project, site } = await metaProject();
    await setMeta(project, site, { path: "/*", title: "Everywhere" });
    const target = { projectId: project.id, site, path: "/x" };
    const cases = [
      htmlResponse(SPA_INDEX, { "Content-Encoding": "gzip" }),
      new Response("<title>x</title>", { headers: { "Content-Type": "text/plain" } }),
      new Response("<title>x</title>", { status: 404, headers: { "Content-Type": "text/html" } }),
      new Response(null, { status: 304, headers: { "Content-Type": "text/html" } }),
    ];
    for (const response of cases) expect(await applyPageMeta(env, target, response)).toBe(response);
    const served = await applyPageMeta(env, target, htmlResponse(SPA_INDEX));
    expect((await parseHead(await served.text())).titles).toEqual(["Everywhere"]);
  });

  it("keeps the status and headers, and serves a page without meta as the same response", async () => {
    const { project, site } = await metaProject();
    const plain = htmlResponse(SPA_INDEX, { "Cache-Control": "no-cache", "X-Custom": "1" });
    expect(await applyPageMeta(env, { projectId: project.id, site, path: "/none" }, plain)).toBe(plain);
    await setMeta(project, site, { path: "/", title: "Home" });
    const response = await applyPageMeta(
      env,
      { projectId: project.id, site, path: "/" },
      htmlResponse(SPA_INDEX, {
        "Cache-Control": "no-cache",
        "X-Custom": "1",
        "Content-Length": String(SPA_INDEX.length),
        ETag: '"f1le"',
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-cache");
    expect(response.headers.get("X-Custom")).toBe("1");
    const text = await response.text();
    expect(response.headers.get("Content-Length")).not.toBe(String(SPA_INDEX.length));
    // The file's tag with the meta's digest: a copy cached under the file's tag alone is not current.
    expect(response.headers.get("ETag")).toMatch(/^W\/"f1le-[0-9a-z]+"$/);
    expect((await parseHead(text)).titles).toEqual(["Home"]);
  });
});
