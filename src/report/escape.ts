/**
 * Escaping for text that ends up in the report page. Every string that comes from data (dataset,
 * product, account and rule names all come from user files) goes through `escapeHtml` before it is
 * placed in HTML text, an attribute value or SVG: names are data, never markup.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML/SVG text content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}
