/**
 * A strict structure check for the report's own markup (no HTML parser is installed): every element
 * is closed in order, void elements are not, attribute values are quoted, and no raw `<` or `>`
 * appears in text. The report writes well-formed markup, so anything else means a string from data
 * broke out of its escaping or a template lost a tag.
 */
const VOID_ELEMENTS = new Set(['meta', 'link', 'br', 'img', 'input', 'hr', 'col', 'source', 'wbr']);
const RAW_TEXT_ELEMENTS = new Set(['script', 'style']);

/** Problems found, each naming the offset; empty when the document is well formed. */
export function htmlStructureProblems(html: string): string[] {
  const problems: string[] = [];
  const open: { name: string; at: number }[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*"|='[^']*')?)*)\s*(\/?)>/y;
  let i = html.startsWith('<!doctype html>') ? '<!doctype html>'.length : 0;
  if (i === 0) problems.push('missing <!doctype html>');
  while (i < html.length) {
    const next = html.indexOf('<', i);
    const text = html.slice(i, next === -1 ? html.length : next);
    if (text.includes('>')) problems.push(`raw '>' in text at ${i + text.indexOf('>')}`);
    if (next === -1) break;
    tag.lastIndex = next;
    const match = tag.exec(html);
    if (!match) {
      problems.push(`not a tag at ${next}: ${JSON.stringify(html.slice(next, next + 40))}`);
      i = next + 1;
      continue;
    }
    const [whole, closing, rawName, , selfClosing] = match;
    const name = rawName!.toLowerCase();
    i = next + whole.length;
    if (closing) {
      const top = open.pop();
      if (top?.name !== name)
        problems.push(`</${name}> at ${next} closes <${top?.name ?? 'nothing'}> opened at ${top?.at}`);
    } else if (RAW_TEXT_ELEMENTS.has(name)) {
      const end = html.indexOf(`</${name}>`, i);
      if (end === -1) problems.push(`<${name}> at ${next} is never closed`);
      i = end === -1 ? html.length : end + name.length + 3;
    } else if (!VOID_ELEMENTS.has(name) && !selfClosing) {
      open.push({ name, at: next });
    }
  }
  for (const element of open) problems.push(`<${element.name}> at ${element.at} is never closed`);
  return problems;
}
