/* svcmap.js: makes svcmap's HTML map (-f html) and diff page interactive.
 *
 * Reads the map's figures from the JSON data block (#svcmap-data), finds each node and
 * edge of the inline SVG by its element id (the C emitter made them from node ids), and
 * adds: tooltips with every number, click (or #focus=ID in the URL) to focus a node and
 * its neighbours within N hops, search by substring or regular expression, edge filters
 * by p99, error rate and calls, pan and zoom, a sortable table of edges, and on the map
 * page, when an entry node is clicked, a panel of where its time goes (the map's "why"
 * figures: traces, latency, contributors by critical-path share, each one highlighted on
 * the map on hover or click); on the diff page, a table of the shares that moved. Names from
 * the map are only ever written with textContent, never parsed as markup. The page's
 * Content-Security-Policy allows this script by its hash and nothing else.
 */
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('svcmap-data').textContent);
  const svg = document.getElementById('svcmap-svg');
  const box = document.getElementById('svcmap-map');
  const tip = document.getElementById('svcmap-tip');
  const isDiff = data.page === 'diff';
  const QUANTILES = ['p50', 'p90', 'p95', 'p99', 'max'];

  const nodeById = new Map();
  const itemByElement = new Map();
  data.nodes.forEach(function (n, i) {
    n.index = i;
    n.isNode = true;
    n.out = [];
    n.in = [];
    n.elem = document.getElementById(n.el);
    nodeById.set(n.id, n);
    if (n.elem) itemByElement.set(n.elem, n);
  });
  data.edges.forEach(function (e, j) {
    e.index = j;
    e.isNode = false;
    e.src = nodeById.get(e.from);
    e.dst = nodeById.get(e.to);
    e.elem = document.getElementById(e.el);
    if (e.src) e.src.out.push(e);
    if (e.dst) e.dst.in.push(e);
    if (e.elem) itemByElement.set(e.elem, e);
  });

  /* ---- small helpers ---- */

  function el(tag, cls, text) {
    const x = document.createElement(tag);
    if (cls) x.className = cls;
    if (text !== undefined && text !== null) x.textContent = String(text);
    return x;
  }

  function ms(v) {
    return v === undefined || v === null ? '-' : v + ' ms';
  }

  function pct(rate) {
    return rate === undefined || rate === null ? '-' : (rate * 100).toFixed(2) + ' %';
  }

  function count(v) {
    return v === undefined || v === null ? '-' : String(v);
  }

  /* A critical-path share (a fraction) as the panel and the table print it. */
  function share(v) {
    return v === undefined || v === null ? '-' : (v * 100).toFixed(1) + ' %';
  }

  /* The latency side the page was drawn with, else the other one. */
  function side(figs) {
    if (!figs) return null;
    const first = data.latency === 'server' ? figs.server : figs.client;
    return first || (data.latency === 'server' ? figs.client : figs.server) || null;
  }

  function p99of(figs) {
    const s = side(figs);
    return s ? s.p99 : null;
  }

  /* ---- the SVG: titles out (the tooltip replaces them), wide hit areas on edges ---- */

  svg.querySelectorAll('g.node > title, g.edge > title').forEach(function (t) {
    t.remove();
  });
  data.edges.forEach(function (e) {
    if (!e.elem) return;
    const path = e.elem.querySelector('path');
    if (!path) return;
    const hit = path.cloneNode(false);
    hit.setAttribute('class', 'hit');
    e.elem.appendChild(hit);
  });

  /* ---- pan and zoom, by the viewBox ---- */

  const home = svg.viewBox.baseVal;
  const full = { x: home.x, y: home.y, w: home.width, h: home.height };
  let view = Object.assign({}, full);

  function setView(v) {
    view = v;
    svg.setAttribute('viewBox', [v.x, v.y, v.w, v.h].join(' '));
  }

  function fit() {
    setView(Object.assign({}, full));
  }

  /* The point of the drawing under client coordinates (x, y). */
  function toDrawing(x, y) {
    const m = svg.getScreenCTM();
    if (!m) return { x: view.x, y: view.y };
    const p = new DOMPoint(x, y).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }

  /* Zooms to show the union of the bounding boxes of elems, with a margin. */
  function zoomTo(elems) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    elems.forEach(function (g) {
      if (!g || typeof g.getBBox !== 'function') return;
      const b = g.getBBox();
      const m = g.getCTM();
      const r = svg.getCTM();
      if (!m || !r) return;
      /* from the element's own space to the viewBox space */
      const t = r.inverse().multiply(m);
      [[b.x, b.y], [b.x + b.width, b.y + b.height]].forEach(function (c) {
        const p = new DOMPoint(c[0], c[1]).matrixTransform(t);
        x0 = Math.min(x0, p.x);
        y0 = Math.min(y0, p.y);
        x1 = Math.max(x1, p.x);
        y1 = Math.max(y1, p.y);
      });
    });
    if (!isFinite(x0)) return;
    const pad = Math.max(40, 0.1 * Math.max(x1 - x0, y1 - y0));
    setView({ x: x0 - pad, y: y0 - pad, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad });
  }

  box.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    const f = Math.exp(Math.max(-1, Math.min(1, ev.deltaY * 0.0015)));
    const p = toDrawing(ev.clientX, ev.clientY);
    const w = Math.min(full.w * 20, Math.max(full.w / 2000, view.w * f));
    const k = w / view.w;
    setView({ x: p.x - (p.x - view.x) * k, y: p.y - (p.y - view.y) * k, w: w, h: view.h * k });
  }, { passive: false });

  let drag = null;
  let dragged = false;
  box.addEventListener('mousedown', function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, view: Object.assign({}, view) };
    dragged = false;
  });
  window.addEventListener('mousemove', function (ev) {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
    dragged = true;
    box.classList.add('dragging');
    const m = svg.getScreenCTM();
    const scale = m ? m.a : 1;
    setView({ x: drag.view.x - dx / scale, y: drag.view.y - dy / scale, w: drag.view.w, h: drag.view.h });
  });
  window.addEventListener('mouseup', function () {
    drag = null;
    box.classList.remove('dragging');
  });
  document.getElementById('svcmap-fit').addEventListener('click', fit);

  /* ---- tooltips ---- */

  function row(table, cells, header) {
    const tr = el('tr');
    cells.forEach(function (c, k) {
      tr.appendChild(el(header || k === 0 ? 'th' : 'td', null, c));
    });
    table.appendChild(tr);
  }

  function statusLine(item) {
    if (!isDiff || !item.status || item.status === 'same') return null;
    const s = el('div', 'status st-' + item.status, item.status);
    if (item.changes && item.changes.length) s.textContent += ': ' + item.changes.join('; ');
    return s;
  }

  function latencyRows(table, figsList) {
    ['client', 'server'].forEach(function (sideName) {
      if (!figsList.some(function (f) { return f && f[sideName]; })) return;
      QUANTILES.forEach(function (q) {
        row(table, [sideName + ' ' + q].concat(figsList.map(function (f) {
          return f && f[sideName] ? ms(f[sideName][q]) : '-';
        })));
      });
    });
  }

  function edgeTip(e) {
    const frag = document.createDocumentFragment();
    frag.appendChild(el('div', 'tip-title', e.from + ' \u2192 ' + e.to + ' (' + e.kind + ')'));
    const st = statusLine(e);
    if (st) frag.appendChild(st);
    const table = el('table');
    if (isDiff) {
      const cols = [e.base, e.head];
      row(table, ['', 'before', 'after'], true);
      row(table, ['calls'].concat(cols.map(function (f) { return f ? count(f.calls) : '-'; })));
      row(table, ['errors'].concat(cols.map(function (f) { return f ? count(f.errors) : '-'; })));
      row(table, ['error rate'].concat(cols.map(function (f) { return f ? pct(f.error_rate) : '-'; })));
      latencyRows(table, cols);
    } else {
      row(table, ['calls', count(e.calls)]);
      row(table, ['errors', count(e.errors)]);
      row(table, ['error rate', pct(e.error_rate)]);
      if (e.critical !== undefined) row(table, ['critical share', share(e.critical)]);
      if (e.client || e.server) {
        const t2 = el('table');
        row(t2, ['', 'client', 'server'], true);
        QUANTILES.forEach(function (q) {
          row(t2, [q, e.client ? ms(e.client[q]) : '-', e.server ? ms(e.server[q]) : '-']);
        });
        frag.appendChild(table);
        if (e.estimated) frag.appendChild(el('div', null, 'latency estimated from histogram buckets'));
        frag.appendChild(t2);
        return frag;
      }
    }
    frag.appendChild(table);
    return frag;
  }

  function nodeTip(n) {
    const frag = document.createDocumentFragment();
    frag.appendChild(el('div', 'tip-title', n.name));
    const st = statusLine(n);
    if (st) frag.appendChild(st);
    const table = el('table');
    row(table, ['id', n.id]);
    row(table, ['kind', n.kind]);
    row(table, ['namespace', n.namespace || '-']);
    row(table, ['version', n.version || '-']);
    if (n.system) row(table, ['system', n.system]);
    if (isDiff) {
      row(table, ['', 'before', 'after'], true);
      ['entry_calls', 'calls_in', 'calls_out'].forEach(function (k) {
        row(table, [k.replace('_', ' ')].concat([n.base, n.head].map(function (f) {
          return f ? count(f[k]) : '-';
        })));
      });
    } else {
      row(table, ['entry calls', count(n.entry_calls)]);
      row(table, ['calls in', count(n.calls_in)]);
      row(table, ['calls out', count(n.calls_out)]);
      if (n.why) row(table, ['critical path', 'click: where its time goes']);
    }
    frag.appendChild(table);
    return frag;
  }

  function itemAt(target) {
    const g = target && target.closest ? target.closest('g.node, g.edge') : null;
    return g ? itemByElement.get(g) : undefined;
  }

  let tipItem = null;
  function showTip(item, x, y) {
    if (item !== tipItem) {
      tip.replaceChildren(item.isNode ? nodeTip(item) : edgeTip(item));
      tip.dataset.item = item.isNode ? item.id : item.el;
      tipItem = item;
    }
    tip.hidden = false;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    let left = x + 14, top = y + 14;
    if (left + w > window.innerWidth - 4) left = Math.max(4, x - w - 14);
    if (top + h > window.innerHeight - 4) top = Math.max(4, y - h - 14);
    tip.style.left = left + 'px';
    tip.style.top = top + 'px';
  }

  function hideTip() {
    tip.hidden = true;
    tipItem = null;
    delete tip.dataset.item;
  }

  svg.addEventListener('mousemove', function (ev) {
    if (drag && dragged) return;
    const item = itemAt(ev.target);
    if (item) showTip(item, ev.clientX, ev.clientY);
    else hideTip();
  });
  svg.addEventListener('mouseleave', hideTip);

  /* ---- focus: a node and its neighbours within N hops ---- */

  const hopsInput = document.getElementById('svcmap-hops');
  let focused = null;

  function hops() {
    const v = parseInt(hopsInput.value, 10);
    return isFinite(v) && v >= 0 ? Math.min(v, 50) : 1;
  }

  function clearFocus() {
    focused = null;
    svg.querySelectorAll('.faded, .focus-root').forEach(function (g) {
      g.classList.remove('faded', 'focus-root');
    });
    svg.classList.remove('focusing');
    if (location.hash.indexOf('#focus=') === 0) {
      try {
        history.replaceState(null, '', location.pathname + location.search);
      } catch (err) {
        /* a page opened from a file may refuse; the hash then stays */
      }
    }
  }

  function focusOn(n, zoom) {
    focused = n;
    const keep = new Set([n]);
    let frontier = [n];
    for (let d = 0; d < hops(); d++) {
      const next = [];
      frontier.forEach(function (x) {
        x.out.concat(x.in).forEach(function (e) {
          [e.src, e.dst].forEach(function (y) {
            if (y && !keep.has(y)) {
              keep.add(y);
              next.push(y);
            }
          });
        });
      });
      frontier = next;
    }
    svg.classList.add('focusing');
    const lit = [];
    data.nodes.forEach(function (x) {
      if (!x.elem) return;
      x.elem.classList.toggle('faded', !keep.has(x));
      x.elem.classList.toggle('focus-root', x === n);
      if (keep.has(x)) lit.push(x.elem);
    });
    data.edges.forEach(function (e) {
      if (!e.elem) return;
      e.elem.classList.toggle('faded', !(keep.has(e.src) && keep.has(e.dst)));
    });
    const hash = '#focus=' + encodeURIComponent(n.id).replace(/%3A/g, ':');
    if (location.hash !== hash) {
      try {
        history.replaceState(null, '', hash);
      } catch (err) {
        /* see clearFocus */
      }
    }
    if (zoom) zoomTo(lit);
  }

  /* ---- "why is this entry slow": the entry's critical path, contributor by contributor ---- */

  const whyPanel = document.getElementById('svcmap-why');
  let whyNode = null;
  (isDiff ? [] : data.why || []).forEach(function (w) {
    const n = nodeById.get(w.node);
    if (!n) return; /* shaped away */
    n.why = n.why || [];
    n.why.push(w);
    if (n.elem) n.elem.classList.add('entry');
  });

  function lightParts(parts, cls, on) {
    parts.forEach(function (c) {
      c.els.forEach(function (id) {
        const g = document.getElementById(id);
        if (g) g.classList.toggle(cls, on);
      });
    });
  }

  function hideWhy() {
    if (!whyPanel) return;
    svg.querySelectorAll('.why-hot, .why-pinned, .why-open').forEach(function (g) {
      g.classList.remove('why-hot', 'why-pinned', 'why-open');
    });
    whyPanel.hidden = true;
    document.body.classList.remove('why-open');
    whyPanel.replaceChildren();
    delete whyPanel.dataset.node;
    whyNode = null;
  }

  /* A contributor as people read it: "database:inventory", "api-gateway" for a service,
   * "frontend \u2192 api-gateway" for the wire between two nodes. */
  function partLabel(c) {
    const bare = function (id) { return id.indexOf('service:') === 0 ? id.slice(8) : id; };
    const k = c.kind === 'wire' ? c.id.indexOf('->') : -1;
    return k < 0 ? bare(c.id) : bare(c.id.slice(0, k)) + ' \u2192 ' + bare(c.id.slice(k + 2));
  }

  function whyEntry(w) {
    const sec = el('section', 'why-entry');
    sec.dataset.entry = w.entry;
    if (w.operation !== null) sec.appendChild(el('h3', null, w.operation));
    const facts = el('table', 'why-facts');
    row(facts, ['traces', count(w.traces)]);
    row(facts, ['total time', ms(w.total_ms)]);
    if (w.latency_ms) {
      ['p50', 'p90', 'p99', 'max'].forEach(function (q) {
        row(facts, ['latency ' + q, ms(w.latency_ms[q])]);
      });
    }
    sec.appendChild(facts);
    const t = el('table', 'why-parts');
    row(t, ['share', 'contributor', 'kind', 'critical time', 'p50 / p99 per trace'], true);
    /* most first: the model's order is critical time, which is share, then id */
    w.contributors.forEach(function (c) {
      const tr = el('tr', 'why-part');
      tr.dataset.id = c.id;
      tr.dataset.share = String(c.share);
      tr.title = c.id;
      [share(c.share), partLabel(c), c.kind, ms(c.critical_ms),
        share(c.share_p50) + ' / ' + share(c.share_p99)].forEach(function (v, k) {
        tr.appendChild(el('td', k === 0 || k >= 3 ? 'num' : null, v));
      });
      const bar = el('span', 'why-bar');
      bar.style.width = Math.max(0, Math.min(100, c.share * 100)).toFixed(1) + '%';
      tr.firstChild.appendChild(bar);
      if (!c.els.length) tr.classList.add('why-off-map');
      tr.addEventListener('mouseenter', function () { lightParts([c], 'why-hot', true); });
      tr.addEventListener('mouseleave', function () { lightParts([c], 'why-hot', false); });
      tr.addEventListener('click', function () {
        const on = !tr.classList.contains('pinned');
        tr.classList.toggle('pinned', on);
        lightParts([c], 'why-pinned', on);
      });
      t.appendChild(tr);
    });
    sec.appendChild(t);
    return sec;
  }

  function showWhy(n) {
    if (!whyPanel) return;
    hideWhy();
    whyNode = n;
    const head = el('div', 'why-head');
    head.appendChild(el('h2', null, 'Why is ' + n.name + ' slow?'));
    const close = el('button', 'why-close', '\u00d7');
    close.type = 'button';
    close.title = 'close';
    close.addEventListener('click', hideWhy);
    head.appendChild(close);
    whyPanel.appendChild(head);
    whyPanel.appendChild(el('p', 'why-what', 'Where the time of its requests goes: each ' +
      'contributor\'s share of the total time on the critical path. Hover or click a row ' +
      'to find it on the map.'));
    n.why.forEach(function (w) { whyPanel.appendChild(whyEntry(w)); });
    if (n.elem) n.elem.classList.add('why-open');
    whyPanel.dataset.node = n.id;
    whyPanel.hidden = false;
    document.body.classList.add('why-open');
  }

  svg.addEventListener('click', function (ev) {
    if (dragged) {
      dragged = false;
      return;
    }
    const item = itemAt(ev.target);
    if (!item || !item.isNode) return;
    /* an entry opens (or closes) its panel and leaves the map bright, since its
     * critical path may run any number of hops away; other nodes focus as before */
    if (item.why) {
      clearFocus();
      if (whyNode === item) hideWhy();
      else showWhy(item);
    } else if (focused === item) {
      clearFocus();
    } else {
      hideWhy();
      focusOn(item, false);
    }
  });
  hopsInput.addEventListener('input', function () {
    if (focused) focusOn(focused, false);
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') {
      clearFocus();
      hideTip();
      hideWhy();
    }
  });

  function focusFromHash() {
    const m = /^#focus=([^&]*)(?:&hops=(\d+))?/.exec(location.hash);
    if (!m) return;
    let id;
    try {
      id = decodeURIComponent(m[1]);
    } catch (err) {
      return;
    }
    if (m[2] !== undefined) hopsInput.value = m[2];
    const n = nodeById.get(id);
    if (n && n !== focused) focusOn(n, true);
  }
  window.addEventListener('hashchange', focusFromHash);

  /* ---- search ---- */

  const searchInput = document.getElementById('svcmap-search');
  const regexInput = document.getElementById('svcmap-regex');
  const countOut = document.getElementById('svcmap-count');
  let matches = [];

  function search() {
    const q = searchInput.value;
    matches = [];
    countOut.classList.remove('bad');
    let test = null;
    if (q !== '') {
      if (regexInput.checked) {
        try {
          const re = new RegExp(q, 'i');
          test = function (s) { return re.test(s); };
        } catch (err) {
          countOut.textContent = 'not a regular expression';
          countOut.classList.add('bad');
        }
      } else {
        const needle = q.toLowerCase();
        test = function (s) { return s.toLowerCase().indexOf(needle) >= 0; };
      }
    }
    data.nodes.forEach(function (n) {
      const hit = test !== null && (test(n.name) || test(n.id));
      if (hit) matches.push(n);
      if (n.elem) n.elem.classList.toggle('match', hit);
    });
    if (test !== null) {
      countOut.textContent = matches.length + (matches.length === 1 ? ' match' : ' matches');
    } else if (!countOut.classList.contains('bad')) {
      countOut.textContent = '';
    }
    countOut.dataset.count = String(matches.length);
  }
  searchInput.addEventListener('input', search);
  regexInput.addEventListener('change', search);
  searchInput.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && matches.length) {
      if (matches.length === 1) focusOn(matches[0], true);
      else zoomTo(matches.map(function (n) { return n.elem; }));
    }
  });

  /* ---- edge filter ---- */

  const minP99 = document.getElementById('svcmap-min-p99');
  const minErrors = document.getElementById('svcmap-min-errors');
  const minCalls = document.getElementById('svcmap-min-calls');
  const filterMode = document.getElementById('svcmap-filter-mode');

  function num(input) {
    const v = parseFloat(input.value);
    return isFinite(v) && v > 0 ? v : 0;
  }

  /* The figures an edge is filtered and sorted by: after the change on a diff. */
  function figures(e) {
    return isDiff ? (e.head || e.base || e) : e;
  }

  function passes(e) {
    const f = figures(e);
    const p99 = p99of(f);
    if (num(minP99) > 0 && !(p99 !== null && p99 >= num(minP99))) return false;
    if (num(minErrors) > 0 && !(f.error_rate * 100 >= num(minErrors))) return false;
    return !(num(minCalls) > 0 && f.calls < num(minCalls));
  }

  function filter() {
    const hide = filterMode.value === 'hide';
    data.edges.forEach(function (e) {
      const ok = passes(e);
      if (e.elem) {
        e.elem.classList.toggle('filtered', !ok && !hide);
        e.elem.classList.toggle('dropped', !ok && hide);
      }
      if (e.row) e.row.classList.toggle('row-hidden', !ok);
    });
  }
  [minP99, minErrors, minCalls].forEach(function (x) { x.addEventListener('input', filter); });
  filterMode.addEventListener('change', filter);

  /* ---- the table of edges ---- */

  const table = document.getElementById('svcmap-table');
  const columns = isDiff ? [
    { name: 'change', key: function (e) { return e.status; } },
    { name: 'from', key: function (e) { return e.from; } },
    { name: 'to', key: function (e) { return e.to; } },
    { name: 'kind', key: function (e) { return e.kind; } },
    { name: 'calls before', num: true, key: function (e) { return e.base ? e.base.calls : null; } },
    { name: 'calls after', num: true, key: function (e) { return e.head ? e.head.calls : null; } },
    { name: 'errors before', num: true, fmt: pct, key: function (e) { return e.base ? e.base.error_rate : null; } },
    { name: 'errors after', num: true, fmt: pct, key: function (e) { return e.head ? e.head.error_rate : null; } },
    { name: 'p99 before', num: true, fmt: ms, cls: 'p99', key: function (e) { return p99of(e.base); } },
    { name: 'p99 after', num: true, fmt: ms, cls: 'p99', key: function (e) { return p99of(e.head); } },
    { name: 'what changed', key: function (e) { return (e.changes || []).join('; '); } },
  ] : [
    { name: 'from', key: function (e) { return e.from; } },
    { name: 'to', key: function (e) { return e.to; } },
    { name: 'kind', key: function (e) { return e.kind; } },
    { name: 'calls', num: true, key: function (e) { return e.calls; } },
    { name: 'errors', num: true, key: function (e) { return e.errors; } },
    { name: 'error rate', num: true, fmt: pct, key: function (e) { return e.error_rate; } },
  ].concat(QUANTILES.map(function (q) {
    return {
      name: data.latency + ' ' + q, num: true, fmt: ms, cls: q === 'p99' ? 'p99' : '',
      key: function (e) { const s = side(e); return s ? s[q] : null; },
    };
  })).concat(data.edges.some(function (e) { return e.critical !== undefined; }) ? [
    { name: 'critical share', num: true, fmt: share, key: function (e) { return e.critical; } },
  ] : []);

  /* A big table costs the browser more to lay out than the map itself: past
   * TABLE_EAGER edges it is built when asked for. */
  const TABLE_EAGER = 300;
  const head = el('thead');
  const headRow = el('tr');
  const body = el('tbody');
  function buildTable() {
    columns.forEach(function (c, k) {
      const th = el('th', null, c.name);
      th.dataset.col = String(k);
      th.addEventListener('click', function () { sortBy(k); });
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    data.edges.forEach(function (e) {
      const tr = el('tr', 'sev-' + (e.severity || 0));
      tr.dataset.edge = e.el;
      columns.forEach(function (c) {
        const v = c.key(e);
        const text = c.fmt ? c.fmt(v) : (v === null || v === undefined ? '-' : String(v));
        tr.appendChild(el('td', (c.num ? 'num ' : '') + (c.cls || '') + (c.name === 'change' ? ' st-' + v : ''), text));
      });
      tr.addEventListener('mouseenter', function () { if (e.elem) e.elem.classList.add('hot'); });
      tr.addEventListener('mouseleave', function () { if (e.elem) e.elem.classList.remove('hot'); });
      e.row = tr;
      body.appendChild(tr);
    });
    table.appendChild(body);
    filter();
  }
  if (data.edges.length <= TABLE_EAGER) {
    buildTable();
  } else {
    const more = el('button', null, 'show the table of ' + data.edges.length + ' edges');
    more.type = 'button';
    more.id = 'svcmap-show-table';
    more.addEventListener('click', function () {
      more.remove();
      buildTable();
    });
    table.parentNode.insertBefore(more, table);
  }

  let sortCol = -1, sortDir = 1;
  function sortBy(k) {
    sortDir = sortCol === k ? -sortDir : (columns[k].num ? -1 : 1);
    sortCol = k;
    const c = columns[k];
    const rows = data.edges.slice().sort(function (a, b) {
      const x = c.key(a), y = c.key(b);
      if (x === y) return a.index - b.index;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * sortDir;
    });
    rows.forEach(function (e) { body.appendChild(e.row); });
    headRow.querySelectorAll('th').forEach(function (th, i) {
      th.classList.toggle('sorted-asc', i === k && sortDir > 0);
      th.classList.toggle('sorted-desc', i === k && sortDir < 0);
    });
  }

  /* ---- the diff page: critical-path shares that moved ---- */

  if (isDiff && data.critical && data.critical.length) {
    const sec = el('section');
    sec.id = 'svcmap-critical';
    sec.appendChild(el('h2', null, 'Critical path: shares that moved'));
    const t = el('table');
    row(t, ['entry', 'contributor', 'kind', data.base_name || 'before', data.head_name || 'after',
      'change'], true);
    data.critical.forEach(function (c) {
      /* a contributor or a whole entry on one side only says so, not "0.0 %" */
      const entryRow = c.presence === 'entry_new' || c.presence === 'entry_gone';
      const side = function (head) {
        if (c.presence === (head ? 'gone' : 'new') || c.presence === (head ? 'entry_gone' : 'entry_new'))
          return head ? 'gone' : 'new';
        return entryRow ? c.traces + ' traces' : share(head ? c.head : c.base);
      };
      const tr = el('tr', entryRow ? 'share-entry' : c.delta_pp > 0 ? 'share-up' : 'share-down');
      [c.entry + (c.operation !== null ? ' ' + c.operation : ''), entryRow ? '(the entry point)' : c.id,
        entryRow ? 'entry' : c.kind, side(false), side(true),
        entryRow ? (c.presence === 'entry_new' ? 'new entry' : 'entry gone')
          : (c.delta_pp > 0 ? '+' : '') + c.delta_pp.toFixed(1) + ' pp'].forEach(function (v, k) {
        tr.appendChild(el('td', k >= 3 ? 'num' : null, v));
      });
      t.appendChild(tr);
    });
    sec.appendChild(t);
    const edges = document.getElementById('svcmap-edges');
    edges.parentNode.insertBefore(sec, edges);
  }

  /* ---- start: fitted, or focused as the URL says ---- */

  fit();
  focusFromHash();
  document.body.dataset.ready = 'true';
})();
