import type { PageMetaValues } from "../../../data/page-meta/document-values";
import { escapeHtml, jsonLdText } from "./html-text";

/** One `<meta>` tag: `<meta name="description" content="…">` or `<meta property="og:title" content="…">`. */
export interface MetaTag {
  attribute: "name" | "property";
  key: string;
  content: string;
}

/** What page meta puts into a page's `<head>`, every value still unescaped. */
export interface HeadTags {
  title: string | null;
  /** By lower-cased key: the page's own tag with that `name` or `property` is replaced. */
  metas: Map<string, MetaTag>;
  canonical: string | null;
  jsonLd: unknown;
}

/**
 * The tags a page's meta values stand for. Title, description and image go to Open Graph and
 * Twitter's tags too, so a template's own `og:title` or `twitter:title` can never contradict the
 * page's; a record's extra `meta` tags come last and win over the derived ones.
 */
export function headTags(values: PageMetaValues): HeadTags {
  const metas = new Map<string, MetaTag>();
  const set = (attribute: MetaTag["attribute"], key: string, content: string | null) => {
    if (content !== null) metas.set(key.toLowerCase(), { attribute, key, content });
  };
  set("property", "og:title", values.title);
  set("name", "twitter:title", values.title);
  set("name", "description", values.description);
  set("property", "og:description", values.description);
  set("name", "twitter:description", values.description);
  set("property", "og:image", values.image);
  set("name", "twitter:image", values.image);
  // Only with an image: without one, the template's card (and its image) stay as built.
  set("name", "twitter:card", values.image === null ? null : "summary_large_image");
  set("property", "og:type", values.og_type);
  set("property", "og:url", values.canonical);
  set("name", "robots", values.robots_noindex ? "noindex" : null);
  for (const tag of values.meta) {
    if ("name" in tag) set("name", tag.name, tag.content);
    else set("property", tag.property, tag.content);
  }
  return { title: values.title, metas, canonical: values.canonical, jsonLd: values.json_ld };
}

/** True when the tags change nothing in a page. */
export const isEmpty = (tags: HeadTags) =>
  tags.title === null && tags.metas.size === 0 && tags.canonical === null && tags.jsonLd === null;

/**
 * The markup added at the end of `<head>`: the title when the page has none, every meta tag, the
 * canonical link and the JSON-LD script. Each value escaped for where it goes (./html-text.ts).
 */
export function headMarkup(tags: HeadTags, options: { withTitle: boolean }): string {
  let html = "";
  if (options.withTitle && tags.title !== null) html += `<title>${escapeHtml(tags.title)}</title>`;
  for (const { attribute, key, content } of tags.metas.values()) {
    html += `<meta ${attribute}="${escapeHtml(key)}" content="${escapeHtml(content)}">`;
  }
  if (tags.canonical !== null) html += `<link rel="canonical" href="${escapeHtml(tags.canonical)}">`;
  if (tags.jsonLd !== null) html += `<script type="application/ld+json">${jsonLdText(tags.jsonLd)}</script>`;
  return html;
}
