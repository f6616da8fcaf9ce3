// check-why.mjs: the HTML map's "why is this entry slow" panel and the diff page's table
// of critical-path shares, in Debian's chromium (headless, through puppeteer-core).
//
//   node check-why.mjs DIR
//
// DIR holds what tests/integration/browser_why.sh made: NAME.html and NAME.json for each
// map checked (the page and the svcmap.map/v1 document of the same map), listed in
// DIR/maps, and diff.html with diff.json (the svcmap.diff/v1 report of the same two
// maps). For each map page: clicking each entry node opens the panel, whose traces,
// latency and contributors (order, ids, kinds, shares, critical time, p50/p99 per
// trace) are those of the document's "why" section; hovering a contributor lights its
// node or wire edge, clicking pins it; clicking a node that is no entry closes the panel.
// No page makes a request, logs an error or opens a dialog. Prints one line per check;
// exits 1 on any failure.
//
// SVCMAP_WHY_SCREENSHOT=FILE.png instead opens DIR/shop.html, clicks its first entry,
// pins its first contributor and writes the picture to FILE.png (docs/html-why.png,
// made by scripts/render-docs).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const hardStop = setTimeout(() => {
  console.log('FAIL: the browser checks took longer than 240 s');
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

// The element id of a node id, as src/emit/emit_html.c writes it.
function idPart(s) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9.:-]/.test(c) ? c : '_' + b.toString(16).padStart(2, '0');
  }
  return out;
}

// A contributor's label: ids without "service:", a wire as "FROM \u2192 TO".
function partLabel(c) {
  const bare = (id) => (id.startsWith('service:') ? id.slice(8) : id);
  if (c.kind !== 'wire') return bare(c.id);
  const [from, to] = c.id.split('->');
  return `${bare(from)} \u2192 ${bare(to)}`;
}

// Numbers as the page prints them, computed here from the map document.
const fmtShare = (v) => (v === undefined || v === null ? '-' : `${(v * 100).toFixed(1)} %`);
const fmtMs = (v) => `${Math.round(v * 1000) / 1000} ms`;

async function open(browser, file) {
  const page = await browser.newPage();
  const watch = { requests: [], errors: [], dialogs: [] };
  const url = pathToFileURL(file).href;
  page.on('request', (r) => { if (r.url().split('#')[0] !== url) watch.requests.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') watch.errors.push(m.text()); });
  page.on('pageerror', (e) => watch.errors.push(String(e)));
  page.on('dialog', async (d) => { watch.dialogs.push(d.message()); await d.dismiss(); });
  await page.goto(url, { waitUntil: 'load', timeout: 60000 });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  return { page, watch };
}

function checkClean(name, watch) {
  check(watch.requests.length === 0, `${name}: no network request`, watch.requests.join(' '));
  check(watch.errors.length === 0, `${name}: no console error`, watch.errors.join(' | '));
  check(watch.dialogs.length === 0, `${name}: no dialog`, watch.dialogs.join(' | '));
}

async function clickNode(page, el) {
  const c = await page.evaluate((id) => {
    const shape = document.getElementById(id).querySelector('polygon, path, ellipse');
    const r = shape.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  }, el);
  await page.mouse.move(5, 5);
  await page.mouse.click(c.x, c.y);
}

async function panel(page) {
  return page.evaluate(() => {
    const p = document.getElementById('svcmap-why');
    return {
      hidden: p.hidden,
      node: p.dataset.node,
      title: (p.querySelector('h2') || {}).textContent,
      entries: [...p.querySelectorAll('section.why-entry')].map((s) => ({
        entry: s.dataset.entry,
        operation: (s.querySelector('h3') || {}).textContent || null,
        facts: Object.fromEntries([...s.querySelectorAll('.why-facts tr')]
          .map((tr) => [tr.children[0].textContent, tr.children[1].textContent])),
        parts: [...s.querySelectorAll('tr.why-part')]
          .map((tr) => [...tr.children].map((c) => c.textContent)),
      })),
    };
  });
}

async function checkMap(browser, dir, name) {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
  const why = doc.why || [];
  const { page, watch } = await open(browser, path.join(dir, name + '.html'));
  check(why.length > 0, `${name}: the map document has a why section`);
  const nodes = new Map();
  for (const w of why) {
    const node = w.operation === null ? w.entry : `${w.entry}::${w.operation}`;
    if (!nodes.has(node)) nodes.set(node, []);
    nodes.get(node).push(w);
  }
  for (const [node, entries] of nodes) {
    const el = 'node:' + idPart(node);
    await clickNode(page, el);
    const got = await panel(page);
    const label = `${name}: ${node}`;
    check(!got.hidden && got.node === node, `${label}: a click opens the panel`, JSON.stringify(got.node));
    const faded = await page.evaluate(() => document.querySelectorAll('#svcmap-svg .faded').length);
    check(faded === 0, `${label}: the map stays bright`, `${faded} faded`);
    const nodeName = doc.nodes.find((n) => n.id === node).name;
    check(got.title === `Why is ${nodeName} slow?`, `${label}: the panel names the entry`, got.title);
    check(got.entries.length === entries.length, `${label}: one section per entry`,
      `${got.entries.length} vs ${entries.length}`);
    entries.forEach((w, k) => {
      const g = got.entries[k] || { facts: {}, parts: [] };
      check(g.entry === w.entry && g.operation === w.operation, `${label}: entry ${k} is ${w.entry} ${w.operation}`);
      check(g.facts.traces === String(w.traces), `${label}: traces`, `${g.facts.traces} vs ${w.traces}`);
      check(g.facts['total time'] === fmtMs(w.total_ns / 1e6), `${label}: total time`,
        `${g.facts['total time']} vs ${w.total_ns} ns`);
      for (const q of ['p50', 'p90', 'p99', 'max']) {
        check(g.facts['latency ' + q] === fmtMs(w.latency_ms[q]), `${label}: latency ${q}`,
          `${g.facts['latency ' + q]} vs ${w.latency_ms[q]}`);
      }
      // contributors: the document's, most critical time first; shares from the
      // document's own integers, not from the page's data block
      const want = w.contributors.map((c) => [fmtShare(c.critical_ns / w.total_ns), partLabel(c), c.kind,
        fmtMs(c.critical_ns / 1e6), `${fmtShare(c.share_p50)} / ${fmtShare(c.share_p99)}`]);
      check(JSON.stringify(g.parts) === JSON.stringify(want), `${label}: contributors, shares and quantiles`,
        `\n  page ${JSON.stringify(g.parts)}\n  doc  ${JSON.stringify(want)}`);
      const shares = w.contributors.map((c) => c.critical_ns);
      check(shares.every((v, i) => i === 0 || shares[i - 1] >= v), `${label}: most first`);
    });
    // hover each contributor: its node, or the edges of its wire, light up
    const first = entries[0];
    for (const [k, c] of first.contributors.entries()) {
      let want;
      if (c.kind === 'node') {
        want = doc.nodes.some((n) => n.id === c.id) ? ['node:' + idPart(c.id)] : [];
      } else {
        const [from, to] = c.id.split('->');
        want = doc.edges.filter((e) => e.from === from && e.to === to)
          .map((e) => `edge:${idPart(e.from)}__${idPart(e.to)}__${e.kind}`);
      }
      const lit = await page.evaluate((i) => {
        const tr = document.querySelectorAll('#svcmap-why section.why-entry')[0]
          .querySelectorAll('tr.why-part')[i];
        tr.dispatchEvent(new MouseEvent('mouseenter'));
        const on = [...document.querySelectorAll('#svcmap-svg .why-hot')].map((g) => g.id).sort();
        tr.dispatchEvent(new MouseEvent('mouseleave'));
        return on;
      }, k);
      check(JSON.stringify(lit) === JSON.stringify(want.sort()), `${label}: hovering ${c.id} lights it on the map`,
        `${JSON.stringify(lit)} vs ${JSON.stringify(want)}`);
      if (k >= 5) break;
    }
    const pinned = await page.evaluate(() => {
      const tr = document.querySelector('#svcmap-why tr.why-part');
      tr.click();
      return [...document.querySelectorAll('#svcmap-svg .why-pinned')].map((g) => g.id);
    });
    check(pinned.length === 1 || first.contributors[0].kind === 'wire',
      `${label}: a click pins the first contributor`, JSON.stringify(pinned));
  }
  // a second click on the entry closes the panel; a node that is no entry closes it too
  {
    const node = [...nodes.keys()].pop(); /* the one whose panel is open */
    await clickNode(page, 'node:' + idPart(node));
    check((await panel(page)).hidden, `${name}: a second click on ${node} closes the panel`);
    await clickNode(page, 'node:' + idPart(node));
    check(!(await panel(page)).hidden, `${name}: a third opens it again`);
  }
  const other = doc.nodes.find((n) => !nodes.has(n.id));
  if (other) {
    await clickNode(page, 'node:' + idPart(other.id));
    const got = await panel(page);
    check(got.hidden, `${name}: clicking ${other.id}, no entry, closes the panel`);
  }
  checkClean(name, watch);
  await page.close();
}

async function checkDiff(browser, dir, name) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
  const { page, watch } = await open(browser, path.join(dir, name + '.html'));
  const rows = await page.evaluate(() => [...document.querySelectorAll('#svcmap-critical tr')]
    .slice(1).map((tr) => [...tr.children].map((c) => c.textContent)));
  // a contributor or an entry on one side only reads "new" or "gone" there, not 0.0 %
  const entryRow = (c) => c.presence === 'entry_new' || c.presence === 'entry_gone';
  const side = (c, head) => (c.presence === (head ? 'gone' : 'new') ||
    c.presence === (head ? 'entry_gone' : 'entry_new') ? (head ? 'gone' : 'new')
    : entryRow(c) ? `${c.traces} traces` : fmtShare(head ? c.head : c.base));
  const want = report.critical.filter((c) => c.reported).map((c) => [
    c.entry + (c.operation !== null ? ' ' + c.operation : ''), entryRow(c) ? '(the entry point)' : c.id,
    entryRow(c) ? 'entry' : c.kind, side(c, false), side(c, true),
    entryRow(c) ? (c.presence === 'entry_new' ? 'new entry' : 'entry gone')
      : (c.delta_pp > 0 ? '+' : '') + c.delta_pp.toFixed(1) + ' pp']);
  check(want.length > 0 && JSON.stringify(rows) === JSON.stringify(want),
    `${name}: the critical-path table is the report's moved shares`,
    `\n  page ${JSON.stringify(rows)}\n  json ${JSON.stringify(want)}`);
  if (name === 'diff-gone') {
    const cells = rows.flat();
    check(['gone', 'new', 'new entry'].every((w) => cells.includes(w)) && !cells.includes('0.0 %'),
      `${name}: a contributor gone, one new and a new entry say so, no "0.0 %"`, JSON.stringify(rows));
  }
  checkClean(name, watch);
  await page.close();
}

const dir = process.argv[2];
const args = ['--no-first-run', '--disable-gpu', '--disable-dev-shm-usage', '--disable-extensions',
  '--disable-background-networking', '--window-size=1400,1000'];
if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
const browser = await puppeteer.launch({
  executablePath: chromiumPath(), headless: true, args,
  defaultViewport: { width: 1400, height: 1000 }, protocolTimeout: 120000,
});
async function screenshot(browser, file, png) {
  const { page, watch } = await open(browser, file);
  const node = await page.evaluate(() => {
    const d = JSON.parse(document.getElementById('svcmap-data').textContent);
    return (d.why || []).length ? d.why[0].node : null;
  });
  check(node !== null, `${file}: has an entry`);
  if (node !== null) {
    await clickNode(page, 'node:' + idPart(node));
    await page.evaluate(() => document.querySelector('#svcmap-why tr.why-part').click());
    await page.mouse.move(5, 5);
    const shown = await panel(page);
    check(!shown.hidden, `${file}: the panel is open`);
    const height = await page.evaluate(() => Math.ceil(Math.max(
      document.getElementById('svcmap-map').getBoundingClientRect().bottom,
      document.getElementById('svcmap-why').getBoundingClientRect().bottom) + 8));
    await page.screenshot({ path: png, clip: { x: 0, y: 0, width: 1400, height }, captureBeyondViewport: false });
  }
  checkClean(file, watch);
  await page.close();
}

try {
  if (process.env.SVCMAP_WHY_SCREENSHOT) {
    await screenshot(browser, path.join(dir, 'shop.html'), process.env.SVCMAP_WHY_SCREENSHOT);
  } else {
    for (const name of fs.readFileSync(path.join(dir, 'maps'), 'utf8').split('\n').filter(Boolean)) {
      await checkMap(browser, dir, name);
    }
    await checkDiff(browser, dir, 'diff');
    if (fs.existsSync(path.join(dir, 'diff-gone.json'))) await checkDiff(browser, dir, 'diff-gone');
  }
} catch (e) {
  failures++;
  console.log(`FAIL: ${e.stack || e}`);
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
