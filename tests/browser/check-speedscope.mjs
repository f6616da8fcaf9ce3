// check-speedscope.mjs: `svcmap why -f folded` opened by speedscope, a real flame-graph
// viewer, in Debian's chromium (headless, through the pinned puppeteer-core).
//
//   node check-speedscope.mjs RELEASE_DIR DIR
//
// RELEASE_DIR is speedscope's built page (tests/speedscope/node_modules/speedscope/
// dist/release). DIR/cases lists one case per line: NAME and either "good" or "bad".
// A good case has DIR/NAME.folded (svcmap's folded stacks) and DIR/NAME.json (`svcmap
// why -f json` of the same input); a bad case only a deliberately broken NAME.folded.
// A tiny HTTP server on 127.0.0.1 serves the page and the files, and the page loads each
// file through its #profileURL= parameter in its sandwich view, whose table lists every
// frame with its total and self weight.
//
// A case passes when speedscope imports the file as folded stacks with no dialog and no
// console error, and its table is exactly what this script computes from the file on its
// own: every frame name, its self weight (the lines ending in it) and its total weight
// (the lines it is in), the self weights adding up to the sum of the file's values; and
// the root frames are the entries of the JSON report. A good case must pass and a bad
// case must fail (so that the checks cannot pass vacuously). Prints one line per check;
// exits 1 on any failure.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const hardStop = setTimeout(() => {
  console.log('FAIL: the speedscope checks took longer than 240 s');
  process.exit(2);
}, Number(process.env.SVCMAP_BROWSER_TIMEOUT_MS || 240000));
hardStop.unref();

let failures = 0;
function check(ok, what, detail) {
  if (ok) console.log(`ok: ${what}`);
  else {
    failures++;
    console.log(`FAIL: ${what}${detail === undefined ? '' : ': ' + detail}`);
  }
}

function chromiumPath() {
  for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && fs.existsSync(p)) return p;
  }
  throw new Error('no chromium: install Debian\'s chromium (scripts/deps)');
}

// What the file says, read here without speedscope: each line is a stack of frames
// joined by ';', one space, and a whole number. Weights are BigInts so that a sum past
// 2^53 is not rounded here as it would be in the page. A line of another shape is
// reported (and still counted by the number its last word reads as).
function expected(text) {
  const self = new Map();
  const total = new Map();
  const roots = new Set();
  const problems = [];
  let sum = 0n;
  const add = (m, k, v) => m.set(k, (m.get(k) || 0n) + v);
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const at = line.lastIndexOf(' ');
    const word = at < 0 ? line : line.slice(at + 1);
    if (at <= 0 || !/^[0-9]+$/.test(word)) problems.push(`line ${i + 1}: ${JSON.stringify(line)}`);
    // a malformed value still counts as the number it reads as ("12.5" as 12), so that a
    // viewer that drops its line shows a different total
    const n = Number(word);
    const v = /^[0-9]+$/.test(word) ? BigInt(word) : Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
    const frames = (at < 0 ? '' : line.slice(0, at)).split(';');
    sum += v;
    roots.add(frames[0]);
    add(self, frames[frames.length - 1], v);
    for (const f of new Set(frames)) add(total, f, v);
  });
  return { self, total, roots, sum, problems };
}

// The root frame svcmap writes for an entry of the JSON report: the operation with
// --by operation, else the entry's service name; ';' becomes ',' and control characters
// '?', as in src/report/why_folded.c.
function rootName(e) {
  const name = e.operation !== null && e.operation !== undefined ? e.operation
    : e.entry.startsWith('service:') ? e.entry.slice(8) : e.entry;
  return name.replace(/;/g, ',').replace(/[\x00-\x1f\x7f]/g, '?');
}

const release = process.argv[2];
const dir = process.argv[3];
const files = new Map([['/index.html', path.join(release, 'index.html')]]);
for (const f of fs.readdirSync(release)) files.set('/' + f, path.join(release, f));
for (const f of fs.readdirSync(dir)) if (f.endsWith('.folded')) files.set('/data/' + f, path.join(dir, f));
const requests = [];
const server = http.createServer((req, res) => {
  const p = new URL(req.url, 'http://127.0.0.1').pathname;
  requests.push(p);
  const file = files.get(p);
  if (!file) {
    res.writeHead(404);
    res.end();
    return;
  }
  const type = p.endsWith('.html') ? 'text/html' : p.endsWith('.js') ? 'text/javascript'
    : p.endsWith('.css') ? 'text/css' : p.endsWith('.wasm') ? 'application/wasm'
      : 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(fs.readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const args = ['--no-first-run', '--disable-dev-shm-usage', '--disable-extensions',
  '--disable-background-networking', '--window-size=1400,1000', '--lang=en-US',
  '--enable-unsafe-swiftshader'];
if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
const browser = await puppeteer.launch({
  executablePath: chromiumPath(), headless: true, args,
  defaultViewport: { width: 1400, height: 4000 }, protocolTimeout: 120000,
});

// Opens one folded file in speedscope and returns what speedscope got wrong, and (in
// fileProblems) the lines that are not folded stacks.
async function openInSpeedscope(name, json, fileProblems) {
  const text = fs.readFileSync(path.join(dir, name + '.folded'), 'utf8');
  const want = expected(text);
  const problems = [];
  fileProblems.push(...want.problems.map((p) => `the file's ${p} is not "STACK COUNT"`));
  const page = await browser.newPage();
  const seen = { errors: [], dialogs: [], imported: false };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
    if (/Importing as collapsed stack format/.test(m.text())) seen.imported = true;
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('dialog', async (d) => { seen.dialogs.push(d.message()); await d.dismiss(); });
  await page.goto(`${base}/index.html#profileURL=/data/${encodeURIComponent(name)}.folded&view=sandwich`,
    { waitUntil: 'load', timeout: 60000 });
  // the table, or a dialog, or an error state: whichever comes first
  const deadline = Date.now() + 60000;
  let rows = null;
  while (Date.now() < deadline && !seen.dialogs.length && !seen.errors.length) {
    rows = await page.evaluate(() => {
      const head = [...document.querySelectorAll('th')].map((t) => t.textContent.trim());
      if (!head.includes('Self')) return null;
      return [...document.querySelectorAll('tr')]
        .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))
        .filter((cells) => cells.length === 3);
    });
    if (rows && rows.length) break;
    rows = null;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const errorState = await page.evaluate(() => /Something went wrong/.test(document.body.innerText));
  await page.close();
  if (seen.dialogs.length) problems.push(`speedscope said ${JSON.stringify(seen.dialogs)}`);
  if (seen.errors.length) problems.push(`console errors ${JSON.stringify(seen.errors)}`);
  if (errorState) problems.push('speedscope shows its error state');
  if (!seen.imported) problems.push('speedscope did not import it as collapsed stacks');
  if (!rows) {
    problems.push('no sandwich table');
    return problems;
  }
  // "60,034,428 (92%)" -> 60034428n
  const weight = (cell) => BigInt(cell.replace(/\(.*\)/, '').replace(/[^0-9]/g, '') || '-1');
  const got = new Map(rows.map(([total, self, frame]) => [frame, { total: weight(total), self: weight(self) }]));
  if (got.size !== want.total.size)
    problems.push(`${got.size} frames in speedscope, ${want.total.size} in the file`);
  let selfSum = 0n;
  for (const [frame, w] of got) selfSum += w.self;
  if (selfSum !== want.sum) problems.push(`speedscope's self weights add up to ${selfSum}, the file's values to ${want.sum}`);
  for (const [frame, total] of want.total) {
    const g = got.get(frame);
    const self = want.self.get(frame) || 0n;
    if (!g) problems.push(`frame ${JSON.stringify(frame)} is not in speedscope's table`);
    else if (g.total !== total || g.self !== self)
      problems.push(`frame ${JSON.stringify(frame)}: speedscope total ${g.total} self ${g.self}, the file's ${total} and ${self}`);
  }
  if (json) {
    const entries = new Set(json.entries.map(rootName));
    const roots = [...want.roots].sort();
    if (JSON.stringify(roots) !== JSON.stringify([...entries].sort()))
      problems.push(`root frames ${JSON.stringify(roots)}, entries ${JSON.stringify([...entries].sort())}`);
    let rootSum = 0n;
    for (const r of want.roots) rootSum += got.get(r) ? got.get(r).total : 0n;
    if (rootSum !== want.sum) problems.push(`the root frames' totals add up to ${rootSum}, not ${want.sum}`);
  }
  return problems;
}

try {
  const cases = fs.readFileSync(path.join(dir, 'cases'), 'utf8').split('\n').filter(Boolean);
  for (const line of cases) {
    const [name, kind] = line.split(' ');
    const json = kind === 'good' ? JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8')) : null;
    const fileProblems = [];
    const problems = await openInSpeedscope(name, json, fileProblems);
    if (kind === 'good') {
      check(problems.length + fileProblems.length === 0,
        `${name}: speedscope reads the folded stacks with the file's weights and the entries as roots`,
        '\n  ' + [...fileProblems, ...problems].join('\n  '));
    } else {
      // caught by what speedscope shows, not only by this script's reading of the file
      check(problems.length > 0, `${name}: the broken file is caught in speedscope (${problems.join('; ') || 'nothing'})`);
    }
  }
  check(requests.every((p) => files.has(p) || p === '/favicon.ico'), 'the page asked only for its own files',
    JSON.stringify(requests.filter((p) => !files.has(p))));
} finally {
  await browser.close();
  server.close();
}
process.exit(failures ? 1 : 0);
