// check.mjs: parses svcmap's Mermaid output with the real mermaid package (under jsdom).
//
// usage: node check.mjs FILE.mmd [MAP.json] [FILE.mmd [MAP.json]]...
// Exits non-zero when mermaid.parse rejects a text. With MAP.json after it (the same map
// as svcmap's JSON document) it also checks what Mermaid understood: node nX carries the
// name of nodes[X] exactly (entity codes and <br> decoded), and there is one link per
// edge, from and to the right nodes. A fenced ```mermaid block (a .md file) is unwrapped.
// Many files in one run load mermaid once.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
// DOMPurify and d3 look for DOM classes (Element, Node, ...) as globals.
for (const key of Object.getOwnPropertyNames(dom.window))
  if (!(key in globalThis) && /^[A-Z]/.test(key)) globalThis[key] = dom.window[key];
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let failures = 0;

// Mermaid keeps entity codes as placeholders until it draws; undo them like the
// renderer does, and <br> is its line break.
function decode(s) {
  return s
    .replace(/\ufb02\u00b0\u00b0(\d+)\u00b6\u00df/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/<br>/g, '\n');
}

async function check(file, mapFile) {
  const fail = (message) => {
    throw new Error(`${file}: ${message}`);
  };
  let text = readFileSync(file, 'utf8');
  const fence = text.match(/```mermaid\n([\s\S]*?)```/);
  if (fence) text = fence[1];
  try {
    await mermaid.parse(text);
  } catch (e) {
    fail(`mermaid cannot parse it: ${e.message || e}`);
  }
  if (mapFile) {
    const map = JSON.parse(readFileSync(mapFile, 'utf8'));
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const vertices = diagram.db.getVertices();
    const get = (id) => (vertices instanceof Map ? vertices.get(id) : vertices[id]);
    map.nodes.forEach((node, i) => {
      const v = get(`n${i}`);
      if (!v) fail(`no node n${i} for ${JSON.stringify(node.id)}`);
      // Control characters other than newline are drawn as U+FFFD.
      const want = node.name.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '\ufffd');
      if (decode(v.text) !== want)
        fail(`n${i} reads ${JSON.stringify(decode(v.text))}, expected ${JSON.stringify(want)}`);
    });
    const ids = new Map(map.nodes.map((n, i) => [n.id, `n${i}`]));
    const edges = diagram.db.getEdges().filter((e) => /^n\d+$/.test(e.start));
    if (edges.length !== map.edges.length)
      fail(`${edges.length} links, expected ${map.edges.length}`);
    map.edges.forEach((e, j) => {
      if (edges[j].start !== ids.get(e.from) || edges[j].end !== ids.get(e.to))
        fail(`link ${j} is ${edges[j].start} -> ${edges[j].end}, expected ${e.from} -> ${e.to}`);
    });
  }
}

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const file = args[i];
  const mapFile = args[i + 1] && args[i + 1].endsWith('.json') ? args[++i] : undefined;
  try {
    await check(file, mapFile);
  } catch (e) {
    console.error(e.message);
    failures++;
  }
}
process.exit(failures ? 1 : 0);
