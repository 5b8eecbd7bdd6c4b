import { type HeadTags, headMarkup } from "./head-tags";
import { escapeHtml } from "./html-text";

/**
 * Rewrites an HTML response's `<head>` with HTMLRewriter as it streams (nothing is buffered):
 * the first `<title>`'s text is replaced (later ones removed); the page's `<meta>` tags whose
 * `name` or `property` page meta sets, its `<link rel="canonical">` and its JSON-LD scripts are
 * removed when page meta has their replacement; the new tags go in just before `</head>`. Only
 * `<head>`'s children are touched: an SVG `<title>` or a `<meta>` in the body stays.
 *
 * A page without `</head>` (it may be omitted) gets them before `<body>`, and one with neither at
 * its end, which is where an HTML parser would put them in `<head>` or as late as it can.
 */
export function injectHeadTags(html: Response, tags: HeadTags): Response {
  let titleSeen = false;
  let injected = false;
  const markup = () => {
    injected = true;
    return headMarkup(tags, { withTitle: !titleSeen });
  };
  const rewriter = new HTMLRewriter()
    .on("head > title", {
      element(title) {
        if (tags.title === null) return;
        if (titleSeen) title.remove();
        else title.setInnerContent(escapeHtml(tags.title), { html: true });
        titleSeen = true;
      },
    })
    .on("head meta", {
      element(meta) {
        const key = (meta.getAttribute("property") ?? meta.getAttribute("name"))?.toLowerCase();
        if (key !== undefined && replaces(tags, key)) meta.remove();
      },
    })
    .on("head link", {
      element(link) {
        if (tags.canonical !== null && link.getAttribute("rel")?.trim().toLowerCase() === "canonical") link.remove();
      },
    })
    .on("head script", {
      element(script) {
        if (tags.jsonLd !== null && script.getAttribute("type")?.trim().toLowerCase() === "application/ld+json") {
          script.remove();
        }
      },
    })
    .on("head", {
      element(head) {
        head.onEndTag((end) => {
          if (!injected) end.before(markup(), { html: true });
        });
      },
    })
    .on("body", {
      element(body) {
        if (!injected) body.before(markup(), { html: true });
      },
    })
    .onDocument({
      end(end) {
        if (!injected) end.append(markup(), { html: true });
      },
    });
  return rewriter.transform(rewrittenResponse(html, tags));
}

/**
 * True when page meta sets the tag `key`, or the property it belongs to: a new `og:image` makes
 * the template's `og:image:width` and `og:image:alt` wrong, so they go with it (Open Graph's
 * structured properties; the same for `twitter:image:alt`).
 */
function replaces(tags: HeadTags, key: string): boolean {
  for (let end = key.length; end > 0; end = key.lastIndexOf(":", end - 1)) {
    if (tags.metas.has(key.slice(0, end))) return true;
  }
  return false;
}

/**
 * The response the rewriter streams into: the body's length forgotten (the rewritten page has
 * another; the runtime would keep the stale `Content-Length`), and an `ETag` of the file and
 * its meta together, so a copy cached before the meta changed is never confirmed as current.
 */
function rewrittenResponse(html: Response, tags: HeadTags): Response {
  const headers = new Headers(html.headers);
  headers.delete("Content-Length");
  const etag = headers.get("ETag")?.match(/^(?:W\/)?"([^"]*)"$/)?.[1];
  if (etag !== undefined) headers.set("ETag", `W/"${etag}-${fnv1a(JSON.stringify(tagsIdentity(tags)))}"`);
  else headers.delete("ETag");
  return new Response(html.body, { status: html.status, statusText: html.statusText, headers });
}

const tagsIdentity = (tags: HeadTags) => [tags.title, [...tags.metas.values()], tags.canonical, tags.jsonLd];

/** A short, stable digest (32-bit FNV-1a, base 36): enough to tell two versions of a page apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}
