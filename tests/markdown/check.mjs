// check.mjs: renders a Markdown file with marked (GitHub-flavoured, as a pull-request
// comment is rendered) and checks that nothing in it was obeyed as markup that svcmap did
// not write itself. Used by tests/integration/markdown_hostile.sh.
//
//   node check.mjs FILE --headings N [--fences N] [--allow TAG,TAG] [--names NAMES.json]
//
// Fails (exit 1, a line per problem on stderr) when the rendered HTML has a tag outside
// the ones svcmap's reports use (raw HTML from a name, an image), a link, another
// number of headings or code blocks than expected, or when a name of NAMES.json (a JSON
// array of strings) does not read in the rendered text as it is (whitespace compared
// loosely).
import { readFileSync } from "node:fs";
import { marked } from "marked";

const args = process.argv.slice(2);
const file = args[0];
let headings = -1, fences = -1, namesFile = null;
const allowed = new Set(["p", "h3", "strong", "ul", "li", "table", "thead", "tbody", "tr",
                         "th", "td", "pre", "code"]);
for (let i = 1; i < args.length; i += 2) {
  if (args[i] === "--headings") headings = Number(args[i + 1]);
  else if (args[i] === "--fences") fences = Number(args[i + 1]);
  else if (args[i] === "--allow") args[i + 1].split(",").forEach((t) => allowed.add(t));
  else if (args[i] === "--names") namesFile = args[i + 1];
  else { console.error(`check.mjs: unknown argument ${args[i]}`); process.exit(2); }
}

const html = marked.parse(readFileSync(file, "utf8"), { gfm: true });
const problems = [];
const tags = [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1].toLowerCase());
for (const t of new Set(tags)) {
  if (!allowed.has(t)) problems.push(`a <${t}> element`);
}
const count = (re) => (html.match(re) || []).length;
if (headings >= 0 && count(/<h[1-6][ >]/g) !== headings)
  problems.push(`${count(/<h[1-6][ >]/g)} headings, not ${headings}`);
if (fences >= 0 && count(/<pre>/g) !== fences)
  problems.push(`${count(/<pre>/g)} code blocks, not ${fences}`);
if (/<a[\s>]/i.test(html)) problems.push("a link");

if (namesFile) {
  // The text a reader sees: tags dropped, the entities marked writes decoded.
  const text = html.replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  // Whitespace is compared loosely: a table cell drops a name's trailing tab, and a line
  // break in a name reads as a space.
  const loose = (s) => s.replace(/\s+/g, " ").trim();
  const seen = loose(text);
  for (const name of JSON.parse(readFileSync(namesFile, "utf8"))) {
    if (!seen.includes(loose(name)))
      problems.push(`the name ${JSON.stringify(name)} does not read as it is`);
  }
}
for (const p of problems) console.error(`${file}: ${p}`);
process.exit(problems.length ? 1 : 0);
