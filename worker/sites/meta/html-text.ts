/**
 * The two ways page meta writes a value into HTML. Every value (a record's or a document's) goes
 * through one of them, never into markup as it is.
 */

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * A value as HTML text or as a quoted attribute value: `&`, `<`, `>` and both quotes become
 * character references, so it can neither close the attribute nor the element (`<title>` is
 * RCDATA: references are decoded, `</title>` would end it), nor open a tag or a comment.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string);
}

/**
 * A JSON value as the text of a `<script type="application/ld+json">`. Script text is not
 * decoded, so HTML escaping would corrupt it; instead the characters that could end the script or
 * start a comment (`</script>`, `<!--`) are written as JSON's own `\u` escapes, which only occur
 * inside strings and mean the same characters to a JSON parser. U+2028/2029 too, for old
 * JavaScript parsers that read JSON-LD as script.
 */
export function jsonLdText(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
