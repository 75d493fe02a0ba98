// The agreement page's scope diff, word by word: the server lists the scope's lines as kept, removed
// or added; a removed line followed by an added one is the same line changed, so the words that
// changed in it are marked (<del>/<ins>), built as DOM text, never HTML from strings.

// Words and the spaces between them, as tokens.
const tokens = (line) => line.match(/\s+|[^\s]+/g) || [];

// [op, text] runs, op in "=", "-", "+": the longest common subsequence of the two lines' tokens.
export function wordDiff(before, after) {
  const a = tokens(before), b = tokens(after);
  if (a.length * b.length > 250000) return [["-", before], ["+", after]]; // a huge line: as a whole
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const runs = [];
  const push = (op, text) => {
    const last = runs[runs.length - 1];
    if (last && last[0] === op) last[1] += text; else runs.push([op, text]);
  };
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { push("=", a[i]); i += 1; j += 1; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) { push("-", a[i]); i += 1; }
    else { push("+", b[j]); j += 1; }
  }
  while (i < a.length) { push("-", a[i]); i += 1; }
  while (j < b.length) { push("+", b[j]); j += 1; }
  return runs;
}

// The line `node` (a removed or an added line) with the words only it has marked.
function mark(line, runs, keep) {
  const node = line.querySelector(".text");
  const parts = [];
  for (const [op, text] of runs) {
    if (op === "=") parts.push(text);
    else if (op === keep) {
      const tag = document.createElement(op === "-" ? "del" : "ins");
      tag.textContent = text;
      parts.push(tag);
    }
  }
  node.replaceChildren(...parts);
  line.classList.add("worded");
}

// Pair each run of removed lines with the added lines right after it, line by line.
export function highlightScope(root) {
  const lines = [...root.children];
  for (let k = 0; k < lines.length; k += 1) {
    if (!lines[k].classList.contains("del")) continue;
    const dels = [];
    while (k < lines.length && lines[k].classList.contains("del")) { dels.push(lines[k]); k += 1; }
    const ins = [];
    while (k < lines.length && lines[k].classList.contains("ins")) { ins.push(lines[k]); k += 1; }
    for (let n = 0; n < Math.min(dels.length, ins.length); n += 1) {
      const runs = wordDiff(dels[n].dataset.line, ins[n].dataset.line);
      mark(dels[n], runs, "-");
      mark(ins[n], runs, "+");
    }
    k -= 1;
  }
}

for (const root of document.querySelectorAll(".scope-diff")) highlightScope(root);
