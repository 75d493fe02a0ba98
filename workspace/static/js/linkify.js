// Bare web addresses in a message become links, in the browser: the server renders Markdown with
// linkify off (workspace/rendering.py), so "see https://example.com/board" arrives as text. Only
// text nodes of that already-sanitized HTML outside links and code are touched; each address becomes
// an <a> built with the DOM (text stays text), and only what the URL parser reads as http(s) is linked.
const ADDRESS = /\bhttps?:\/\/[^\s<>"'`]+|\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#][^\s<>"'`]*)?/gi;
const TRAILING = /[.,;:!?'"…\]}>]+$/;

export function linkify(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => {
      const skip = node.parentElement?.closest("a, code, pre");
      return skip && root.contains(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
    },
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) linkText(node);
  return root;
}

function linkText(node) {
  const text = node.data;
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(ADDRESS)) {
    if (match.index < last) continue;
    const raw = trim(match[0]);
    const href = safeHref(raw);
    if (!href) continue;
    parts.push(text.slice(last, match.index), anchor(href, raw));
    last = match.index + raw.length;
  }
  if (!parts.length) return;
  parts.push(text.slice(last));
  node.replaceWith(...parts.filter((p) => p !== ""));
}

// "(see https://x.org/a)." -> "https://x.org/a"; a closing parenthesis stays when the address opened one.
function trim(raw) {
  let out = raw.replace(TRAILING, "");
  while (out.endsWith(")") && (out.match(/\(/g) || []).length < (out.match(/\)/g) || []).length) {
    out = out.slice(0, -1).replace(TRAILING, "");
  }
  return out;
}

function safeHref(raw) {
  try {
    const url = new URL(/^www\./i.test(raw) ? `https://${raw}` : raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function anchor(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer nofollow";
  a.textContent = text;
  return a;
}
