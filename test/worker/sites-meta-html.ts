/** Reading back what page meta wrote into a page, with the same HTML parser the Worker uses. */

/** The head of a page as a crawler reads it. */
export interface ParsedHead {
  titles: string[];
  /** Every `<meta>` in `<head>`: its attributes, values decoded. */
  metas: Record<string, string>[];
  canonicals: string[];
  jsonLd: string[];
  /** Every start tag in the document, in order (so an injected `<script>` or `<img>` shows). */
  tags: string[];
  comments: number;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };
/** Decodes the character references page meta writes (and the few a template may use). */
export const decodeEntities = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name] as string);

/** Parses an HTML page's head: what a crawler without JavaScript would read. */
export async function parseHead(html: string): Promise<ParsedHead> {
  const head: ParsedHead = { titles: [], metas: [], canonicals: [], jsonLd: [], tags: [], comments: 0 };
  let title: string | null = null;
  let script: string | null = null;
  const rewriter = new HTMLRewriter()
    .on("*", {
      element(element) {
        head.tags.push(element.tagName);
      },
      comments() {
        head.comments += 1;
      },
    })
    .on("head > title", {
      element(element) {
        title = "";
        element.onEndTag(() => {
          head.titles.push(decodeEntities(title ?? ""));
          title = null;
        });
      },
      text(chunk) {
        if (title !== null) title += chunk.text;
      },
    })
    .on("head meta", {
      element(element) {
        head.metas.push(
          Object.fromEntries([...element.attributes].map(([name, value]) => [name, decodeEntities(value)])),
        );
      },
    })
    .on('head link[rel="canonical"]', {
      element(element) {
        head.canonicals.push(decodeEntities(element.getAttribute("href") ?? ""));
      },
    })
    .on('head script[type="application/ld+json"]', {
      element(element) {
        script = "";
        element.onEndTag(() => {
          head.jsonLd.push(script ?? "");
          script = null;
        });
      },
      text(chunk) {
        if (script !== null) script += chunk.text;
      },
    });
  await rewriter.transform(new Response(html, { headers: { "Content-Type": "text/html" } })).text();
  return head;
}

/** The `content` of the head's meta tag with this `name` or `property`, or all of them. */
export function metaContents(head: ParsedHead, key: string): string[] {
  return head.metas.filter((meta) => meta.name === key || meta.property === key).map((meta) => meta.content ?? "");
}

/** An HTML response as the site server hands it over. */
export const htmlResponse = (html: string, headers: Record<string, string> = {}) =>
  new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8", ...headers } });

/** A typical built SPA's index.html, with its own generic tags. */
export const SPA_INDEX = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>My App</title>
    <meta name="description" content="The generic description">
    <meta property="og:title" content="My App">
    <meta name="twitter:title" content="My App">
    <meta property="og:image" content="https://cdn.example/default.png">
    <link rel="canonical" href="https://example.com/">
    <script type="application/ld+json">{"@type":"WebSite","name":"My App"}</script>
    <script type="module" src="/assets/app.3f9a.js"></script>
  </head>
  <body>
    <div id="root"></div>
    <svg><title>an icon</title></svg>
  </body>
</html>`;
