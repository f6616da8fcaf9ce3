// check-graphviz.mjs: checks svcmap's DOT (as read back by Graphviz) and SVG against its map.
//
// usage: node check-graphviz.mjs MAP.json DOT.json SVG [MAP.json DOT.json SVG]...
// MAP.json is svcmap's JSON document of the map; DOT.json is `dot -Tjson0` of svcmap's
// DOT output, i.e. what Graphviz's own parser read; SVG is svcmap's SVG, parsed here as
// strict XML. Every node must come back with its exact name (Graphviz label escapes
// undone; control characters other than newline are drawn as U+FFFD) and every edge
// between the right nodes; the SVG must hold no script, link or event attribute.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

let failures = 0;

function check(mapFile, dotFile, svgFile) {
  const fail = (message) => {
    console.error(`${svgFile}: ${message}`);
    failures++;
  };
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  const dot = JSON.parse(readFileSync(dotFile, 'utf8'));
  const clean = (s) => s.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '\ufffd');
  const want = map.nodes.map((n) => clean(n.name));
  const wantEdges = map.edges
    .map((e) => {
      const from = map.nodes.findIndex((n) => n.id === e.from);
      const to = map.nodes.findIndex((n) => n.id === e.to);
      return `n${from}->n${to}`;
    })
    .sort();

  // DOT: labels are escString, where \\ is a backslash and \n a line break, and Graphviz
  // decodes &amp; in labels.
  const unescape = (s) =>
    s.replace(/\\(\\|n)/g, (_, c) => (c === 'n' ? '\n' : '\\')).replace(/&amp;/g, '&');
  const byGvid = new Map();
  for (const o of dot.objects || []) if (o.name && /^n\d+$/.test(o.name)) byGvid.set(o._gvid, o);
  if (byGvid.size !== want.length) fail(`DOT: ${byGvid.size} nodes, expected ${want.length}`);
  for (const o of byGvid.values()) {
    const i = Number(o.name.slice(1));
    if (unescape(o.label) !== want[i])
      fail(`DOT: ${o.name} reads ${JSON.stringify(unescape(o.label))}, expected ${JSON.stringify(want[i])}`);
  }
  const dotEdges = (dot.edges || [])
    .filter((e) => byGvid.has(e.tail) && byGvid.has(e.head))
    .map((e) => `${byGvid.get(e.tail).name}->${byGvid.get(e.head).name}`)
    .sort();
  if (JSON.stringify(dotEdges) !== JSON.stringify(wantEdges))
    fail(`DOT: edges ${JSON.stringify(dotEdges)}, expected ${JSON.stringify(wantEdges)}`);

  // SVG: strict XML (jsdom parses image/svg+xml with a conforming XML parser).
  let doc;
  try {
    doc = new JSDOM(readFileSync(svgFile, 'utf8'), { contentType: 'image/svg+xml' }).window.document;
  } catch (e) {
    fail(`SVG: not well-formed XML: ${e.message}`);
  }
  if (doc) {
    const nodes = new Map();
    for (const g of doc.querySelectorAll('g.node')) {
      const title = g.querySelector('title').textContent;
      if (!/^n\d+$/.test(title)) continue;
      nodes.set(title, [...g.querySelectorAll('text')].map((t) => t.textContent).join('\n'));
    }
    if (nodes.size !== want.length) fail(`SVG: ${nodes.size} nodes, expected ${want.length}`);
    want.forEach((name, i) => {
      const got = nodes.get(`n${i}`);
      if (got !== name) fail(`SVG: n${i} reads ${JSON.stringify(got)}, expected ${JSON.stringify(name)}`);
    });
    const svgEdges = [...doc.querySelectorAll('g.edge')]
      .map((g) => g.querySelector('title').textContent)
      .filter((t) => /^n\d+->n\d+$/.test(t))
      .sort();
    if (JSON.stringify(svgEdges) !== JSON.stringify(wantEdges))
      fail(`SVG: edges ${JSON.stringify(svgEdges)}, expected ${JSON.stringify(wantEdges)}`);
    if (doc.querySelector('script, a, foreignObject')) fail('SVG: holds a script, link or foreignObject');
    for (const el of doc.querySelectorAll('*'))
      for (const attr of el.attributes)
        if (/^on/i.test(attr.name) || /href$/i.test(attr.name))
          fail(`SVG: <${el.tagName}> has attribute ${attr.name}`);
  }
}

const args = process.argv.slice(2);
for (let i = 0; i + 2 < args.length; i += 3) check(args[i], args[i + 1], args[i + 2]);
process.exit(failures ? 1 : 0);
