// check-html.mjs: drives Debian's chromium (headless, through puppeteer-core) through
// svcmap's HTML pages and checks what a user would see.
//
//   node check-html.mjs DIR
//
// DIR holds what tests/integration/browser_html.sh made: shop.html and shop.json (the
// shop map as a page and as the svcmap.map/v1 document), base.json, head.json and
// diff.html (a diff of the two fixtures/diff maps, gate tripped), hostile.html (the 28
// hostile names). For each page: no network request, no console error, no dialog.
// Then: tooltips against the map documents, focus by click and by URL, search,
// filters, the table's sort, zoom and fit. Prints one line per check; exits 1 on any
// failure, 2 if the whole run takes longer than its time bound.
//
// SVCMAP_SCREENSHOTS=DIR instead writes html-map.png and html-diff.png there (the
// pictures in docs/rendering.md, made by scripts/render-docs). SVCMAP_TIME_PAGE=FILE.html only measures how long FILE takes
// until the browser has it on screen, and prints the figures.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const TIME_BOUND_MS = Number(process.env.SVCMAP_BROWSER_TIMEOUT_MS || 240000);
const hardStop = setTimeout(() => {
  console.log(`FAIL: the browser checks took longer than ${TIME_BOUND_MS} ms`);
  process.exit(2);
}, TIME_BOUND_MS);
hardStop.unref();

let failures = 0;
function check(ok, what, detail) {
  if (ok) {
    console.log(`ok: ${what}`);
  } else {
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

async function launch() {
  const args = ['--no-first-run', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-extensions', '--disable-background-networking', '--window-size=1400,1000'];
  // Chromium refuses to run as root with its sandbox.
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  return puppeteer.launch({
    executablePath: chromiumPath(), headless: true, args,
    defaultViewport: { width: 1400, height: 1000 }, protocolTimeout: 120000,
  });
}

// Opens file (with an optional hash) and records what a page must never do.
async function open(browser, file, hash) {
  const page = await browser.newPage();
  const watch = { requests: [], errors: [], dialogs: [] };
  const url = pathToFileURL(file).href;
  page.on('request', (r) => {
    if (r.url().split('#')[0] !== url) watch.requests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') watch.errors.push(m.text());
  });
  page.on('pageerror', (e) => watch.errors.push(String(e)));
  page.on('dialog', async (d) => {
    watch.dialogs.push(d.message());
    await d.dismiss();
  });
  await page.goto(url + (hash || ''), { waitUntil: 'load', timeout: 60000 });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  return { page, watch };
}

function checkClean(name, watch) {
  check(watch.requests.length === 0, `${name}: no network request`, watch.requests.join(' '));
  check(watch.errors.length === 0, `${name}: no console error`, watch.errors.join(' | '));
  check(watch.dialogs.length === 0, `${name}: no dialog`, watch.dialogs.join(' | '));
}

// The element id the page gives a node id (see src/emit/emit_html.c).
function idPart(s) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9.:-]/.test(c) ? c : '_' + b.toString(16).padStart(2, '0');
  }
  return out;
}
const nodeEl = (id) => 'node:' + idPart(id);
const edgeEl = (e) => `edge:${idPart(e.from)}__${idPart(e.to)}__${e.kind}`;

// Moves the mouse onto an edge's line (not its label) until its tooltip shows.
async function hoverEdge(page, el) {
  for (const at of [0.5, 0.35, 0.65, 0.2, 0.8]) {
    const p = await page.evaluate((id, t) => {
      const path = document.getElementById(id).querySelector('path');
      const pt = path.getPointAtLength(path.getTotalLength() * t);
      const q = new DOMPoint(pt.x, pt.y).matrixTransform(path.getScreenCTM());
      return { x: q.x, y: q.y };
    }, el, at);
    await page.mouse.move(p.x, p.y);
    const shown = await page.evaluate(() => document.getElementById('svcmap-tip').dataset.item);
    if (shown === el) return true;
  }
  return false;
}

async function nodeCenter(page, el) {
  return page.evaluate((id) => {
    const shape = document.getElementById(id).querySelector('polygon, path, ellipse');
    const r = shape.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  }, el);
}

async function tipRows(page) {
  return page.evaluate(() => [...document.querySelectorAll('#svcmap-tip tr')]
    .map((tr) => [...tr.children].map((c) => c.textContent)));
}

const fmtMs = (v) => (v === undefined || v === null ? '-' : `${v} ms`);
const fmtPct = (r) => `${(r * 100).toFixed(2)} %`;
const rate = (e) => (e.calls ? e.errors / e.calls : 0);

function lookup(rows, name) {
  const r = rows.find((x) => x[0] === name);
  return r ? r.slice(1) : undefined;
}

async function faded(page) {
  return page.evaluate(() => [...document.querySelectorAll('#svcmap-svg .faded')].map((g) => g.id).sort());
}

// Nodes within hops of id (both directions) in a map document.
function within(doc, id, hops) {
  const keep = new Set([id]);
  let frontier = [id];
  for (let d = 0; d < hops; d++) {
    const next = [];
    for (const e of doc.edges) {
      for (const [a, b] of [[e.from, e.to], [e.to, e.from]]) {
        if (frontier.includes(a) && !keep.has(b)) {
          keep.add(b);
          next.push(b);
        }
      }
    }
    frontier = next;
  }
  return keep;
}

function expectedFaded(doc, keep) {
  return doc.nodes.filter((n) => !keep.has(n.id)).map((n) => nodeEl(n.id))
    .concat(doc.edges.filter((e) => !(keep.has(e.from) && keep.has(e.to))).map(edgeEl)).sort();
}

async function checkShop(browser, dir) {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, 'shop.json'), 'utf8'));
  const { page, watch } = await open(browser, path.join(dir, 'shop.html'));

  const ids = await page.evaluate(() => [...document.querySelectorAll('#svcmap-svg g.node, #svcmap-svg g.edge')].map((g) => g.id));
  const want = doc.nodes.map((n) => nodeEl(n.id)).concat(doc.edges.map(edgeEl));
  check(JSON.stringify(ids.slice().sort()) === JSON.stringify(want.slice().sort()),
    'shop: one element per node and edge, ids from node ids', ids.join(' '));

  // Every edge's tooltip, number by number, against the map document.
  let edgeOk = 0;
  for (const e of doc.edges) {
    const el = edgeEl(e);
    if (!(await hoverEdge(page, el))) {
      check(false, `shop: hover shows the tooltip of ${el}`);
      continue;
    }
    const rows = await tipRows(page);
    const bad = [];
    const eq = (name, got, exp) => { if (String(got) !== String(exp)) bad.push(`${name} ${got} != ${exp}`); };
    eq('calls', lookup(rows, 'calls'), e.calls);
    eq('errors', lookup(rows, 'errors'), e.errors);
    eq('error rate', lookup(rows, 'error rate'), fmtPct(rate(e)));
    const lat = e.latency_ms || {};
    for (const q of ['p50', 'p90', 'p95', 'p99', 'max']) {
      const r = lookup(rows, q);
      if (!lat.client && !lat.server) {
        if (r) bad.push(`${q} shown without latency`);
        continue;
      }
      eq(`client ${q}`, r && r[0], fmtMs(lat.client && lat.client[q]));
      eq(`server ${q}`, r && r[1], fmtMs(lat.server && lat.server[q]));
    }
    check(bad.length === 0, `shop: tooltip of ${e.from} -> ${e.to} has the document's numbers`, bad.join('; '));
    if (!bad.length) edgeOk++;
  }
  check(edgeOk === doc.edges.length, `shop: ${edgeOk} of ${doc.edges.length} edge tooltips right`);

  // A node's tooltip.
  const inv = doc.nodes.find((n) => n.id === 'service:inventory');
  {
    const c = await nodeCenter(page, nodeEl(inv.id));
    await page.mouse.move(c.x, c.y);
    const rows = await tipRows(page);
    const callsIn = doc.edges.filter((e) => e.to === inv.id).reduce((s, e) => s + e.calls, 0);
    const callsOut = doc.edges.filter((e) => e.from === inv.id).reduce((s, e) => s + e.calls, 0);
    const got = ['kind', 'namespace', 'entry calls', 'calls in', 'calls out'].map((k) => String(lookup(rows, k)));
    const exp = [inv.kind, inv.namespace || '-', inv.entry_calls || 0, callsIn, callsOut].map(String);
    check(JSON.stringify(got) === JSON.stringify(exp), 'shop: node tooltip has kind, namespace, entry calls, calls in and out',
      `${got} != ${exp}`);
  }

  // Click to focus: the node and its neighbours stay, the rest fades.
  {
    await page.mouse.move(5, 5);
    const c = await nodeCenter(page, nodeEl(inv.id));
    await page.mouse.click(c.x, c.y);
    const got = await faded(page);
    const exp = expectedFaded(doc, within(doc, inv.id, 1));
    check(got.length > 0 && JSON.stringify(got) === JSON.stringify(exp), 'shop: click fades all but the node and its neighbours',
      `faded ${got.join(' ')}; expected ${exp.join(' ')}`);
    check(await page.evaluate(() => location.hash) === '#focus=service:inventory', 'shop: the URL says #focus=service:inventory');
    await page.$eval('#svcmap-hops', (x) => { x.value = '2'; x.dispatchEvent(new Event('input')); });
    const got2 = await faded(page);
    const exp2 = expectedFaded(doc, within(doc, inv.id, 2));
    check(JSON.stringify(got2) === JSON.stringify(exp2), 'shop: 2 hops keeps two hops bright', `${got2} vs ${exp2}`);
    await page.keyboard.press('Escape');
    check((await faded(page)).length === 0, 'shop: Escape clears the focus');
    await page.$eval('#svcmap-hops', (x) => { x.value = '1'; x.dispatchEvent(new Event('input')); });
    await page.mouse.click(c.x, c.y);
    await page.mouse.click(c.x, c.y);
    check((await faded(page)).length === 0, 'shop: a second click clears the focus');
  }

  // Search, substring then regular expression.
  async function search(text, regex) {
    await page.$eval('#svcmap-regex', (x, r) => { if (x.checked !== r) x.click(); }, regex);
    await page.$eval('#svcmap-search', (x) => { x.value = ''; });
    await page.type('#svcmap-search', text);
    return page.evaluate(() => ({
      count: document.getElementById('svcmap-count').textContent,
      marked: [...document.querySelectorAll('#svcmap-svg g.node.match')].map((g) => g.id).sort(),
    }));
  }
  for (const [text, regex] of [['IN', false], ['pay', false], ['^(fraud|ship)', true], ['y$', true]]) {
    const test = regex ? ((s) => new RegExp(text, 'i').test(s)) : ((s) => s.toLowerCase().includes(text.toLowerCase()));
    const exp = doc.nodes.filter((n) => test(n.name) || test(n.id)).map((n) => nodeEl(n.id)).sort();
    const got = await search(text, regex);
    check(JSON.stringify(got.marked) === JSON.stringify(exp) && got.count === `${exp.length} match${exp.length === 1 ? '' : 'es'}`,
      `shop: search ${regex ? 'regex' : 'text'} '${text}' marks and counts ${exp.length}`, `${got.count}: ${got.marked}`);
  }
  {
    const got = await search('(', true);
    check(got.count === 'not a regular expression' && got.marked.length === 0, 'shop: a bad regular expression is said so', got.count);
    await page.$eval('#svcmap-search', (x) => { x.value = ''; x.dispatchEvent(new Event('input')); });
  }

  // Edge filter by p99 and error rate: fade, then hide.
  {
    const p99 = (e) => {
      const l = e.latency_ms || {};
      const s = l.client || l.server;
      return s ? s.p99 : null;
    };
    const limit = 50;
    await page.$eval('#svcmap-min-p99', (x, v) => { x.value = String(v); x.dispatchEvent(new Event('input')); }, limit);
    const got = await page.evaluate(() => [...document.querySelectorAll('#svcmap-svg g.edge.filtered')].map((g) => g.id).sort());
    const exp = doc.edges.filter((e) => !(p99(e) !== null && p99(e) >= limit)).map(edgeEl).sort();
    check(JSON.stringify(got) === JSON.stringify(exp), `shop: p99 >= ${limit} ms fades the ${exp.length} faster edges`, `${got}`);
    await page.$eval('#svcmap-min-p99', (x) => { x.value = '0'; x.dispatchEvent(new Event('input')); });
    await page.$eval('#svcmap-min-errors', (x) => { x.value = '1'; x.dispatchEvent(new Event('input')); });
    await page.select('#svcmap-filter-mode', 'hide');
    const hidden = await page.evaluate(() => [...document.querySelectorAll('#svcmap-svg g.edge')]
      .filter((g) => getComputedStyle(g).display === 'none').map((g) => g.id).sort());
    const exp2 = doc.edges.filter((e) => !(rate(e) * 100 >= 1)).map(edgeEl).sort();
    check(JSON.stringify(hidden) === JSON.stringify(exp2), 'shop: errors >= 1 % hides the other edges', `${hidden}`);
    await page.$eval('#svcmap-min-errors', (x) => { x.value = '0'; x.dispatchEvent(new Event('input')); });
  }

  // The table: one row per edge, sorted by calls when asked.
  {
    const n = await page.evaluate(() => document.querySelectorAll('#svcmap-table tbody tr').length);
    check(n === doc.edges.length, 'shop: the table has a row per edge', n);
    await page.evaluate(() => [...document.querySelectorAll('#svcmap-table th')].find((th) => th.textContent === 'calls').click());
    const calls = await page.evaluate(() => {
      const k = [...document.querySelectorAll('#svcmap-table th')].findIndex((th) => th.textContent === 'calls');
      return [...document.querySelectorAll('#svcmap-table tbody tr')].map((tr) => Number(tr.children[k].textContent));
    });
    const sorted = calls.slice().sort((a, b) => b - a);
    check(JSON.stringify(calls) === JSON.stringify(sorted), 'shop: the table sorts by calls', calls);
  }

  // Zoom with the wheel, then fit.
  {
    const before = await page.$eval('#svcmap-svg', (s) => s.getAttribute('viewBox'));
    const box = await page.$eval('#svcmap-map', (b) => { const r = b.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; });
    await page.mouse.move(box.x, box.y);
    await page.mouse.wheel({ deltaY: -400 });
    await page.waitForFunction((b) => document.getElementById('svcmap-svg').getAttribute('viewBox') !== b, { timeout: 5000 }, before);
    const zoomed = await page.$eval('#svcmap-svg', (s) => s.getAttribute('viewBox'));
    check(Number(zoomed.split(' ')[2]) < Number(before.split(' ')[2]), 'shop: the wheel zooms in', `${before} -> ${zoomed}`);
    await page.click('#svcmap-fit');
    const fitted = await page.$eval('#svcmap-svg', (s) => s.getAttribute('viewBox'));
    check(fitted === before, 'shop: fit shows the whole map again', fitted);
  }
  checkClean('shop', watch);
  await page.close();

  // Opened with #focus= in the URL.
  {
    const { page: p2, watch: w2 } = await open(browser, path.join(dir, 'shop.html'), '#focus=service:payments');
    const got = await faded(p2);
    const exp = expectedFaded(doc, within(doc, 'service:payments', 1));
    check(JSON.stringify(got) === JSON.stringify(exp), 'shop: #focus=service:payments opens focused', `${got}`);
    checkClean('shop#focus', w2);
    await p2.close();
  }
}

async function checkDiff(browser, dir) {
  const base = JSON.parse(fs.readFileSync(path.join(dir, 'base.json'), 'utf8'));
  const head = JSON.parse(fs.readFileSync(path.join(dir, 'head.json'), 'utf8'));
  const { page, watch } = await open(browser, path.join(dir, 'diff.html'));
  const gate = await page.evaluate(() => {
    const g = document.getElementById('svcmap-gate');
    return g ? { text: g.textContent, cls: g.className } : null;
  });
  check(gate && gate.cls === 'gate-failed' && /tripped/.test(gate.text), 'diff: the gate result is at the top', JSON.stringify(gate));

  const key = (e) => `${e.from} ${e.to} ${e.kind}`;
  const inBase = new Map(base.edges.map((e) => [key(e), e]));
  const inHead = new Map(head.edges.map((e) => [key(e), e]));
  const union = [...new Set([...inBase.keys(), ...inHead.keys()])].map((k) => inHead.get(k) || inBase.get(k));
  const ids = await page.evaluate(() => [...document.querySelectorAll('#svcmap-svg g.edge')].map((g) => g.id).sort());
  check(JSON.stringify(ids) === JSON.stringify(union.map(edgeEl).sort()), 'diff: one layout of the union of both maps', ids.length);

  let checked = 0, added = 0, removed = 0;
  for (const e of union) {
    const el = edgeEl(e);
    const b = inBase.get(key(e)), h = inHead.get(key(e));
    if (!(await hoverEdge(page, el))) {
      check(false, `diff: hover shows the tooltip of ${el}`);
      continue;
    }
    const rows = await tipRows(page);
    const bad = [];
    const want = (f, fn) => (f ? String(fn(f)) : '-');
    const cmp = (name, fn) => {
      const got = lookup(rows, name);
      const exp = [want(b, fn), want(h, fn)];
      if (JSON.stringify(got) !== JSON.stringify(exp)) bad.push(`${name} ${got} != ${exp}`);
    };
    cmp('calls', (f) => f.calls);
    cmp('errors', (f) => f.errors);
    cmp('error rate', (f) => fmtPct(rate(f)));
    for (const s of ['client', 'server']) {
      if (!((b && b.latency_ms && b.latency_ms[s]) || (h && h.latency_ms && h.latency_ms[s]))) continue;
      for (const q of ['p50', 'p90', 'p95', 'p99', 'max']) {
        cmp(`${s} ${q}`, (f) => fmtMs(f.latency_ms && f.latency_ms[s] && f.latency_ms[s][q]));
      }
    }
    const status = await page.evaluate(() => { const s = document.querySelector('#svcmap-tip .status'); return s ? s.textContent : ''; });
    if (!b) {
      added++;
      if (!status.startsWith('added')) bad.push(`status '${status}' for an added edge`);
    }
    if (!h) {
      removed++;
      if (!status.startsWith('removed')) bad.push(`status '${status}' for a removed edge`);
      const dashed = await page.evaluate((id) => !!document.getElementById(id).querySelector('path[stroke-dasharray]'), el);
      if (!dashed) bad.push('a removed edge is not dashed');
    }
    check(bad.length === 0, `diff: tooltip of ${e.from} -> ${e.to} shows before and after`, bad.join('; '));
    if (!bad.length) checked++;
  }
  check(checked === union.length && added > 0 && removed > 0,
    `diff: ${checked} of ${union.length} edges right (${added} added, ${removed} removed)`);
  const rows = await page.evaluate(() => document.querySelectorAll('#svcmap-table tbody tr').length);
  check(rows === union.length, 'diff: the table has a row per edge of the union', rows);
  checkClean('diff', watch);
  await page.close();
}

async function checkHostile(browser, dir) {
  const { page, watch } = await open(browser, path.join(dir, 'hostile.html'));
  // Hover every node: the tooltip writes names too.
  const els = await page.evaluate(() => [...document.querySelectorAll('#svcmap-svg g.node')].map((g) => g.id));
  for (const id of els) {
    const c = await nodeCenter(page, id);
    await page.mouse.move(c.x, c.y);
  }
  await page.type('#svcmap-search', '<script>');
  const state = await page.evaluate(() => ({
    scripts: document.scripts.length,
    imgs: document.querySelectorAll('img').length,
    handlers: [...document.querySelectorAll('*')].filter((x) => [...x.attributes].some((a) => /^on/i.test(a.name))).length,
    links: document.querySelectorAll('a[href], a[*|href]').length,
    pwned: typeof window.alert !== 'function',
    count: document.getElementById('svcmap-count').textContent,
  }));
  check(state.scripts === 2 && state.imgs === 0 && state.handlers === 0 && state.links === 0,
    'hostile: names made no element (2 scripts, no img, no handler, no link)', JSON.stringify(state));
  check(state.count === '1 match', 'hostile: the name <script>alert(1)</script> is found as text', state.count);
  checkClean('hostile', watch);
  await page.close();
}

// The pictures of docs/rendering.md: each page freshly opened, one edge hovered.
async function screenshots(browser, dir, out) {
  const shots = [
    ['shop.html', 'service:api-gateway', 'service:inventory', 'html-map.png'],
    ['diff.html', 'service:payments', 'external:api.cardpay.example:443', 'html-diff.png'],
  ];
  for (const [file, from, to, png] of shots) {
    const { page, watch } = await open(browser, path.join(dir, file));
    const el = await page.evaluate((f, t) => {
      const d = JSON.parse(document.getElementById('svcmap-data').textContent);
      return d.edges.find((e) => e.from === f && e.to === t).el;
    }, from, to);
    check(await hoverEdge(page, el), `${file}: hovered ${from} -> ${to}`);
    const height = await page.evaluate(() => Math.ceil(document.getElementById('svcmap-map').getBoundingClientRect().bottom + 8));
    await page.screenshot({ path: path.join(out, png), clip: { x: 0, y: 0, width: 1400, height }, captureBeyondViewport: false });
    checkClean(file, watch);
    await page.close();
  }
}

// How long a page takes until the browser has it on screen.
async function timePage(browser, file) {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 120000 });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120000 });
  // two animation frames after the script ran: the fitted map has been painted
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const t1 = Date.now();
  const paint = await page.evaluate(() => {
    const p = performance.getEntriesByType('paint').find((x) => x.name === 'first-contentful-paint');
    return p ? Math.round(p.startTime) : null;
  });
  const vb = await page.$eval('#svcmap-svg', (s) => s.getAttribute('viewBox'));
  console.log(`${path.basename(file)}: ${fs.statSync(file).size} bytes, on screen after ${t1 - t0} ms ` +
    `(first contentful paint ${paint} ms), viewBox ${vb}`);
  await page.close();
}

const browser = await launch();
try {
  if (process.env.SVCMAP_TIME_PAGE) {
    await timePage(browser, process.env.SVCMAP_TIME_PAGE);
  } else if (process.env.SVCMAP_SCREENSHOTS) {
    await screenshots(browser, process.argv[2], process.env.SVCMAP_SCREENSHOTS);
  } else {
    const dir = process.argv[2];
    await checkShop(browser, dir);
    await checkDiff(browser, dir);
    await checkHostile(browser, dir);
  }
} catch (err) {
  failures++;
  console.log(`FAIL: ${err && err.stack ? err.stack : err}`);
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
