// Plain text to quote a message by (a reply's excerpt): its rendered HTML read as text when the
// message is on the page, else its Markdown with the markup taken out. Always used as text, never HTML.
const squash = (text) => text.replace(/\s+/g, " ").trim();

export function htmlText(sanitized) {
  const template = document.createElement("template"); // inert: nothing in it loads or runs
  template.innerHTML = sanitized;
  return squash(template.content.textContent);
}

export function markdownText(markdown) {
  return squash(String(markdown)
    .replace(/```[^\n]*\n?/g, "")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<((?:https?|mailto):[^>\s]+)>/g, "$1")
    .replace(/^[ \t]{0,3}(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d+[.)][ \t]+)/gm, "")
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, "$2")
    .replace(/(\*|_)(?=\S)([^*_\n]*?\S)\1/g, "$2")
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, "$1")
    .replace(/`([^`\n]+)`/g, "$1")
    .replace(/\\([\\`*_{}[\]()#+\-.!>~|])/g, "$1"));
}

export function clip(text, max = 200) {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}
