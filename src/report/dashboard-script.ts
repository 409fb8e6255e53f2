/**
 * The dashboard's script, inlined into every report. It reads the embedded cubes (the
 * `<script type="application/json" id="report-data">` block), keeps the selection in the URL
 * fragment, and draws every view from the cubes: filter, sum, divide. No network, no library.
 *
 * Written as plain ES2020 in a string (the project compiles without the DOM library); it uses no
 * template literals, so it can sit in this one. The browser test drives it in Chromium.
 *
 * Rules the figures follow (the same as the SQL models): revenue is the sum of exact millionths;
 * a 7-day moving average is over the calendar rows from the first transaction day of the lake (a
 * day without transactions counts as 0 revenue; its failure rate and processing time are unknown
 * and left out of their averages), as `kpi_daily` computes it.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var block = document.getElementById('report-data');
  if (typeof DecompressionStream !== 'function') {
    block.insertAdjacentHTML('afterend', '<p class="note" role="alert">This browser cannot unpack the page’s data ' +
      '(it needs DecompressionStream: Chrome 80, Firefox 113, Safari 16.4 or newer).</p>');
    document.querySelector('main').prepend(document.querySelector('[role=alert]'));
    return;
  }
  var binary = atob(block.textContent.trim());
  var bytes = new Uint8Array(binary.length);
  for (var b = 0; b < binary.length; b++) bytes[b] = binary.charCodeAt(b);
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text()
    .then(function (text) { main(JSON.parse(text)); })
    .catch(function (error) { console.error('ledgerlake report: cannot read the embedded data: ' + error); });
})();

function main(P) {
  'use strict';
  var DAY = 86400000;
  var BASE = Date.parse(P.span.dataFrom + 'T00:00:00Z');
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var C = { blue: '#0072B2', sky: '#56B4E9', orange: '#E69F00', vermillion: '#D55E00', green: '#009E73',
    purple: '#CC79A7', grey: '#9aa1ab', black: '#222222' };
  var SERIES = [C.blue, C.orange, C.green, C.vermillion, C.purple, C.sky, C.black, C.grey];
  var D = P.dims;
  // Day columns come as steps from the row before: back to day offsets.
  [P.tx, P.sales, P.balances, P.portfolio, P.inventory, P.quality, P.rejections, P.alerts].forEach(function (cube) {
    for (var i = 1; i < cube.d.length; i++) cube.d[i] += cube.d[i - 1];
  });
  // Accounts come as runs of rows with day steps and moves: back to days, openings and closings.
  (function () {
    var A = P.accounts; A.a = []; A.d = []; A.open = []; A.close = [];
    var k = 0;
    A.ids.forEach(function (_, i) {
      var day = 0; var close = 0;
      for (var j = 0; j < A.rows[i]; j++, k++) {
        day = j === 0 ? A.step[k] : day + A.step[k];
        close = j === 0 ? A.firstClose[i] : close + A.chg[k];
        A.a.push(i); A.d.push(day); A.close.push(close); A.open.push(close - A.chg[k]);
      }
    });
  })();
  var NDAYS = Math.round((Date.parse(P.span.to + 'T00:00:00Z') - BASE) / DAY) + 1;

  // ---- formatting (en-US, UTC: the page reads the same wherever it is opened)
  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }
  function num(v, dec) {
    dec = dec || 0;
    return v.toLocaleString('en-US', { minimumFractionDigits: dec, maximumFractionDigits: dec });
  }
  function pct(share, dec) { return (share * 100).toFixed(dec === undefined ? 1 : dec) + '%'; }
  function signed(text, v) { return v > 0 ? '+' + text : v < 0 ? '\u2212' + text.replace(/^-/, '') : text; }
  function compact(v) {
    var a = Math.abs(v);
    function t(x) { var b = Math.abs(x); return String(Number(x.toFixed(b >= 100 ? 0 : b >= 10 ? 1 : 2))); }
    if (a >= 1e9) return t(v / 1e9) + 'B';
    if (a >= 1e6) return t(v / 1e6) + 'M';
    if (a >= 1e3) return t(v / 1e3) + 'k';
    return t(v);
  }
  function iso(i) { return new Date(BASE + i * DAY).toISOString().slice(0, 10); }
  function idx(isoDay) { return Math.round((Date.parse(isoDay + 'T00:00:00Z') - BASE) / DAY); }
  function dateLong(s) { var p = s.split('-'); return Number(p[2]) + ' ' + MONTHS[Number(p[1]) - 1] + ' ' + p[0]; }
  function dateShort(s) { var p = s.split('-'); return Number(p[2]) + ' ' + MONTHS[Number(p[1]) - 1]; }
  function plural(n, w) { return n === 1 ? w : w + 's'; }
  function isDate(s) {
    return /^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(Date.parse(s + 'T00:00:00Z')) &&
      new Date(s + 'T00:00:00Z').toISOString().slice(0, 10) === s;
  }

  // ---- dimensions
  var cityByKey = {};
  D.cities.forEach(function (c, i) { cityByKey[c[0]] = i; });
  var regions = unique(D.cities.map(function (c) { return c[3]; }));
  function unique(a) { var s = {}; var out = []; a.forEach(function (x) { if (!s[x]) { s[x] = 1; out.push(x); } }); return out.sort(); }
  function statesOf(region) {
    return unique(D.cities.filter(function (c) { return !region || c[3] === region; }).map(function (c) { return c[2]; }));
  }
  function citiesOf(region, st) {
    return D.cities.map(function (c, i) { return i; })
      .filter(function (i) { var c = D.cities[i]; return (!region || c[3] === region) && (!st || c[2] === st); })
      .sort(function (a, b) { return D.cities[a][1].localeCompare(D.cities[b][1]); });
  }
  function channelName(i) { return D.channels[i][1] || D.channels[i][0]; }

  // ---- the selection, kept in the URL fragment
  var defaults = { from: P.span.selectFrom, to: P.span.selectTo, region: '', state: '', city: '', channel: '',
    segment: '', account: '', product: '', sku: '' };
  var S = {};
  function readHash() {
    var q = new URLSearchParams(location.hash.replace(/^#/, ''));
    var s = {};
    Object.keys(defaults).forEach(function (k) { s[k] = q.has(k) ? q.get(k) : defaults[k]; });
    if (!isDate(s.from) || s.from < P.span.from || s.from > P.span.to) s.from = defaults.from;
    if (!isDate(s.to) || s.to < P.span.from || s.to > P.span.to) s.to = defaults.to;
    if (s.from > s.to) { var t = s.from; s.from = s.to; s.to = t; }
    if (s.city && cityByKey[s.city] === undefined) s.city = '';
    if (s.city) { var c = D.cities[cityByKey[s.city]]; s.state = c[2]; s.region = c[3]; }
    if (s.region && regions.indexOf(s.region) < 0) { s.region = ''; s.state = ''; }
    if (s.state && statesOf(s.region).indexOf(s.state) < 0) s.state = '';
    if (s.state && !s.region) s.region = D.cities.filter(function (c) { return c[2] === s.state; })[0][3];
    if (s.channel && D.channels.map(function (c) { return c[0]; }).indexOf(s.channel) < 0) s.channel = '';
    if (s.segment && D.segments.indexOf(s.segment) < 0) s.segment = '';
    if (s.product && D.products.indexOf(s.product) < 0) s.product = '';
    if (s.sku && D.skus.indexOf(s.sku) < 0) s.sku = '';
    return s;
  }
  function writeHash() {
    var q = new URLSearchParams();
    Object.keys(defaults).forEach(function (k) { if (S[k] !== defaults[k]) q.set(k, S[k]); });
    var text = q.toString();
    var url = location.pathname + location.search + (text ? '#' + text : '');
    if (('#' + text) !== location.hash && !(text === '' && location.hash === '')) history.replaceState(null, '', url);
  }

  // ---- filters as predicates over cube rows
  function cityOk(ci) {
    if (S.city) return D.cities[ci][0] === S.city;
    if (S.state) return D.cities[ci][2] === S.state;
    if (S.region) return D.cities[ci][3] === S.region;
    return true;
  }
  function segOk(sg) { return !S.segment || D.segments[sg] === S.segment; }
  function chOk(ch) { return !S.channel || D.channels[ch][0] === S.channel; }
  /** Sums the measures of a cube's rows that pass keep(row), per day index (over all the cube's days). */
  function daily(cube, measures, keep) {
    var out = {};
    measures.forEach(function (m) { out[m] = new Float64Array(NDAYS); });
    var n = cube.d ? cube.d.length : 0;
    for (var r = 0; r < n; r++) {
      if (!keep(r)) continue;
      var day = cube.d[r];
      for (var k = 0; k < measures.length; k++) out[measures[k]][day] += cube[measures[k]][r];
    }
    return out;
  }
  function sumRange(arr, a, b) { var s = 0; for (var i = Math.max(0, a); i <= b && i < arr.length; i++) s += arr[i]; return s; }
  /** Sums measures per value of groupOf(row), for rows in [a, b] that pass keep. */
  function grouped(cube, measures, keep, groupOf, a, b) {
    var out = {};
    var n = cube.d ? cube.d.length : 0;
    for (var r = 0; r < n; r++) {
      var day = cube.d[r];
      if (day < a || day > b || !keep(r)) continue;
      var g = groupOf(r);
      var acc = out[g] || (out[g] = measures.map(function () { return 0; }));
      for (var k = 0; k < measures.length; k++) acc[k] += cube[measures[k]][r];
    }
    return out;
  }

  var TX = P.tx;
  var firstTxDay = TX.d.length ? Math.min.apply(null, TX.d) : -1;
  var lastTxDay = TX.d.length ? Math.max.apply(null, TX.d) : -1;
  function txKeep(except) {
    return function (r) {
      return (except === 'channel' || chOk(TX.ch[r])) && (except === 'geo' || cityOk(TX.ci[r])) &&
        (except === 'segment' || segOk(TX.sg[r]));
    };
  }

  // ---- charts (SVG strings; every value mark sits under a hit area with its tooltip)
  function niceScale(lo, hi, count) {
    if (lo > 0) lo = 0;
    if (hi < 0) hi = 0;
    if (lo === hi) hi = lo + 1;
    var raw = (hi - lo) / (count || 5);
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; }).filter(function (s) { return s >= raw; })[0];
    var min = Math.floor(lo / step) * step;
    var max = Math.ceil(hi / step) * step;
    var ticks = [];
    for (var v = min; v <= max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
    return { min: min, max: max, ticks: ticks };
  }
  function widthOf(el) { return Math.max(300, Math.min(760, Math.floor(el.clientWidth || 600))); }
  function svgOpen(label, w, h) {
    return '<svg class="chart-svg" role="img" aria-label="' + esc(label) + '" viewBox="0 0 ' + w + ' ' + h +
      '" width="' + w + '" height="' + h + '"><title>' + esc(label) + '</title>';
  }
  /** Columns and lines over days. */
  function columnChart(o, w) {
    var h = 240; var L = 58; var R = 12; var T = 12; var B = 44;
    var n = o.days.length;
    var vals = [];
    (o.bars || []).concat(o.lines || []).forEach(function (s) { s.values.forEach(function (v) { if (v !== null) vals.push(v); }); });
    var sc = niceScale(Math.min.apply(null, vals.concat([0])), Math.max.apply(null, vals.concat([0])), 5);
    var pw = w - L - R; var ph = h - T - B; var slot = pw / n;
    function y(v) { return T + ph - ((v - sc.min) / (sc.max - sc.min)) * ph; }
    var out = svgOpen(o.label, w, h);
    sc.ticks.forEach(function (t) {
      out += '<line class="grid' + (t === 0 ? ' zero' : '') + '" x1="' + L + '" x2="' + (w - R) + '" y1="' + y(t).toFixed(1) +
        '" y2="' + y(t).toFixed(1) + '"/><text x="' + (L - 6) + '" y="' + (y(t) + 4).toFixed(1) + '" text-anchor="end">' +
        esc(o.tick(t)) + '</text>';
    });
    var every = Math.max(1, Math.ceil(n / Math.floor(pw / 46)));
    o.days.forEach(function (d, i) {
      if (i % every === 0) out += '<text class="category" x="' + (L + slot * (i + 0.5)).toFixed(1) + '" y="' + (h - B + 16) +
        '" text-anchor="middle">' + esc(dateShort(d)) + '</text>';
    });
    out += '<text class="axis-label" x="' + (L + pw / 2) + '" y="' + (h - 6) + '" text-anchor="middle">day (UTC)</text>';
    out += '<text class="axis-label" transform="rotate(-90)" x="' + -(T + ph / 2) + '" y="12" text-anchor="middle">' + esc(o.yLabel) + '</text>';
    (o.bars || []).forEach(function (s) {
      s.values.forEach(function (v, i) {
        if (v === null || v === 0) return;
        var y0 = y(Math.max(0, v)); var y1 = y(Math.min(0, v));
        out += '<rect class="mark" x="' + (L + slot * i + slot * 0.15).toFixed(1) + '" y="' + y0.toFixed(1) + '" width="' +
          Math.max(1, slot * 0.7).toFixed(1) + '" height="' + Math.max(0.5, y1 - y0).toFixed(1) + '" fill="' + s.colour + '"/>';
      });
    });
    (o.lines || []).forEach(function (s) {
      var d = ''; var pen = false;
      s.values.forEach(function (v, i) {
        if (v === null) { pen = false; return; }
        d += (pen ? 'L' : 'M') + (L + slot * (i + 0.5)).toFixed(1) + ' ' + y(v).toFixed(1);
        pen = true;
        if (s.dots) out += '<circle class="mark" cx="' + (L + slot * (i + 0.5)).toFixed(1) + '" cy="' + y(v).toFixed(1) + '" r="2.4" fill="' + s.colour + '"/>';
      });
      if (d) out += '<path class="mark line" d="' + d + '" fill="none" stroke="' + s.colour + '" stroke-width="' + (s.width || 2) + '"/>';
    });
    o.days.forEach(function (d, i) {
      var tip = dateLong(d);
      (o.bars || []).concat(o.lines || []).forEach(function (s) {
        tip += '\n' + s.name + ': ' + (s.values[i] === null ? 'no data' : o.value(s.values[i]));
      });
      out += '<rect class="hit" x="' + (L + slot * i).toFixed(1) + '" y="' + T + '" width="' + slot.toFixed(1) + '" height="' + ph +
        '" data-tip="' + esc(tip) + '"><title>' + esc(tip) + '</title></rect>';
    });
    return out + '</svg>';
  }
  /** Horizontal bars, one per item; the selected item stands out, the others are paler when one is. */
  function barChart(o, w) {
    var row = 30; var L = Math.min(170, Math.round(w * 0.32)); var R = 86; var T = 6; var B = 34;
    var h = T + B + row * o.items.length;
    var vals = o.items.map(function (it) { return it.value; });
    var sc = niceScale(Math.min.apply(null, vals.concat([0])), Math.max.apply(null, vals.concat([0])), 4);
    var pw = w - L - R;
    function x(v) { return L + ((v - sc.min) / (sc.max - sc.min)) * pw; }
    var out = svgOpen(o.label, w, h);
    sc.ticks.forEach(function (t) {
      out += '<line class="grid' + (t === 0 ? ' zero' : '') + '" x1="' + x(t).toFixed(1) + '" x2="' + x(t).toFixed(1) + '" y1="' + T +
        '" y2="' + (h - B) + '"/><text x="' + x(t).toFixed(1) + '" y="' + (h - B + 14) + '" text-anchor="middle">' + esc(o.tick(t)) + '</text>';
    });
    out += '<text class="axis-label" x="' + (L + pw / 2) + '" y="' + (h - 4) + '" text-anchor="middle">' + esc(o.xLabel) + '</text>';
    var anySelected = o.items.some(function (it) { return it.selected; });
    o.items.forEach(function (it, i) {
      var top = T + i * row;
      var name = it.label.length > 22 ? it.label.slice(0, 21) + '\u2026' : it.label;
      out += '<text class="category" x="' + (L - 6) + '" y="' + (top + row / 2 + 4) + '" text-anchor="end">' + esc(name) + '</text>';
      var x0 = x(Math.min(0, it.value)); var x1 = x(Math.max(0, it.value));
      var colour = anySelected && !it.selected ? C.grey : o.colour;
      if (it.value !== 0) out += '<rect class="mark" x="' + x0.toFixed(1) + '" y="' + (top + 5) + '" width="' + Math.max(0.5, x1 - x0).toFixed(1) +
        '" height="' + (row - 10) + '" fill="' + colour + '"/>';
      out += '<text class="value" x="' + (x1 + 5).toFixed(1) + '" y="' + (top + row / 2 + 4) + '">' + esc(o.value(it.value)) + '</text>';
      var tip = it.label + '\n' + o.xLabel + ': ' + o.value(it.value) + (it.note ? '\n' + it.note : '');
      out += '<rect class="hit" x="0" y="' + top + '" width="' + w + '" height="' + row + '" data-tip="' + esc(tip) + '"><title>' +
        esc(tip) + '</title></rect>';
    });
    return out + '</svg>';
  }
  function table(name, head, rows, numeric) {
    var out = '<div class="table-wrap"><table data-figures="' + esc(name) + '"><thead><tr>';
    head.forEach(function (hd, i) { out += '<th scope="col"' + (numeric[i] ? ' class="num"' : '') + '>' + esc(hd) + '</th>'; });
    out += '</tr></thead><tbody>';
    rows.forEach(function (r) {
      out += '<tr>';
      r.forEach(function (c, i) { out += (i === 0 ? '<th scope="row">' : '<td' + (numeric[i] ? ' class="num"' : '') + '>') + esc(c) + (i === 0 ? '</th>' : '</td>'); });
      out += '</tr>';
    });
    return out + '</tbody></table></div>';
  }
  function figures(name, head, rows, numeric) {
    return '<details class="figures"><summary>Figures</summary>' + table(name, head, rows, numeric) + '</details>';
  }
  function empty(reason) {
    return '<div class="empty"><p>No data for this selection.</p>' + (reason ? '<p class="reason">' + esc(reason) + '</p>' : '') + '</div>';
  }
  function legend(items) {
    return '<ul class="legend">' + items.map(function (it) {
      return '<li><span class="swatch' + (it[2] === 'line' ? ' line' : '') + '" style="' + (it[2] === 'line' ? 'border-color:' : 'background:') +
        it[1] + '"></span>' + esc(it[0]) + '</li>';
    }).join('') + '</ul>';
  }
  function setCard(id, html) { var el = document.getElementById(id); if (el) el.innerHTML = html; }
  function chartCard(id, draw) {
    var el = document.getElementById(id);
    if (!el) return;
    var body = el.querySelector('.chart-body');
    body.innerHTML = draw(widthOf(body));
  }

  // ---- the views
  var ERR = P.errors || {};
  function sel() { var a = idx(S.from); var b = idx(S.to); return { a: a, b: b, days: b - a + 1 }; }
  function daysOf(a, b) { var out = []; for (var i = a; i <= b; i++) out.push(iso(i)); return out; }

  function renderSummary() {
    var r = sel();
    var parts = [dateLong(S.from) + ' \u2013 ' + dateLong(S.to) + ' (' + r.days + ' ' + plural(r.days, 'day') + ')'];
    if (S.city) parts.push(D.cities[cityByKey[S.city]][1] + ', ' + S.state + ' (' + S.region + ')');
    else if (S.state) parts.push('state ' + S.state + ' (' + S.region + ')');
    else if (S.region) parts.push('region ' + S.region);
    else parts.push('all cities');
    parts.push(S.channel ? channelName(D.channels.map(function (c) { return c[0]; }).indexOf(S.channel)) : 'all channels');
    parts.push(S.segment ? S.segment + ' customers' : 'all segments');
    document.getElementById('selection-summary').textContent = parts.join(' \u00b7 ');
    document.title = 'ledgerlake report \u00b7 ' + parts.join(' \u00b7 ');
  }

  function txTotals(keep, a, b) {
    var t = { n: 0, f: 0, rev: 0, ptMs: 0, ptN: 0, days: {} };
    var n = TX.d.length;
    for (var r = 0; r < n; r++) {
      var day = TX.d[r];
      if (day < a || day > b) continue;
      t.days[day] = 1;
      if (!keep(r)) continue;
      t.n += TX.n[r]; t.f += TX.f[r]; t.rev += TX.rev[r]; t.ptMs += TX.ptMs[r]; t.ptN += TX.ptN[r];
    }
    t.daysWithData = Object.keys(t.days).length;
    return t;
  }
  function kpiCard(key, title, value, unit, change, better, vs) {
    var ch;
    if (change === null) ch = '<p class="kpi-change flat">' + esc(vs.indexOf('no data') === 0 || vs.indexOf('previous period outside') === 0 ? vs : '\u2013 ' + vs) + '</p>';
    else {
      var rounded = Number(change.value.toFixed(3));
      var tone = rounded === 0 ? 'flat' : (rounded > 0) === (better === 'up') ? 'good' : 'bad';
      var arrow = rounded > 0 ? '\u25b2' : rounded < 0 ? '\u25bc' : '\u25a0';
      ch = '<p class="kpi-change ' + tone + '">' + arrow + ' ' + esc(change.text) + ' <span class="vs">' + esc(vs) + '</span></p>';
    }
    return '<article class="card kpi" data-kpi="' + key + '"><h3>' + esc(title) + '</h3><p class="kpi-value">' + esc(value) +
      (unit ? ' <span class="unit">' + esc(unit) + '</span>' : '') + '</p>' + ch + '</article>';
  }
  function rel(c, p) {
    if (c === null || p === null || p === undefined || p === 0) return null;
    var v = (c - p) / Math.abs(p);
    return { value: v, text: signed(pct(Math.abs(v)), v) };
  }
  function points(c, p) {
    if (c === null || p === null) return null;
    var v = (c - p) * 100;
    return { value: v, text: signed(Math.abs(v).toFixed(1) + ' pp', Number(v.toFixed(1))) };
  }
  function previousLabel(prev, days, outside) {
    if (outside) return 'previous period outside the page\u2019s data';
    if (prev.daysWithData === 0) return 'no data in the previous ' + days + ' ' + plural(days, 'day');
    if (prev.daysWithData < days) return 'vs previous period (only ' + prev.daysWithData + ' of ' + days + ' days have data)';
    return 'vs previous period';
  }

  function renderKpis() {
    var r = sel();
    var keep = txKeep('');
    var cur = txTotals(keep, r.a, r.b);
    var pa = r.a - r.days; var pb = r.a - 1;
    var outside = pb < 0;
    var prev = txTotals(keep, pa, pb);
    if (cur.n === 0) { setCard('kpi-cards', '<div class="card">' + empty(ERR.transactions) + '</div>'); return; }
    var vs = previousLabel(prev, r.days, outside);
    var p = prev.n > 0 && !outside ? prev : null;
    function fr(t) { return t && t.n > 0 ? t.f / t.n : null; }
    function apt(t) { return t && t.ptN > 0 ? t.ptMs / 1000 / t.ptN : null; }
    var unit = P.currency || 'mixed currencies';
    setCard('kpi-cards', [
      kpiCard('revenue', 'Revenue', num(cur.rev / 1e6, 2), unit, rel(cur.rev, p && p.rev), 'up', vs),
      kpiCard('transactions', 'Transactions', num(cur.n), '', rel(cur.n, p && p.n), 'up', vs),
      kpiCard('failure-rate', 'Failure rate', pct(fr(cur)), '', points(fr(cur), fr(p)), 'down', vs),
      kpiCard('processing-time', 'Avg processing time', apt(cur) === null ? '\u2013' : apt(cur).toFixed(2), 's',
        rel(apt(cur), apt(p)), 'down', vs),
    ].join(''));
  }

  /** Daily figures and their 7-day moving averages (kpi_daily's definitions) for the filtered cube. */
  function trendSeries() {
    var t = daily(TX, ['n', 'f', 'rev', 'ptMs', 'ptN'], txKeep(''));
    var out = { rev: [], revMa: [], fr: [], frMa: [], pt: [], ptMa: [] };
    var r = sel();
    function dayRate(i) { return t.n[i] > 0 ? t.f[i] / t.n[i] : null; }
    function dayPt(i) { return t.ptN[i] > 0 ? t.ptMs[i] / 1000 / t.ptN[i] : null; }
    for (var i = r.a; i <= r.b; i++) {
      if (firstTxDay < 0 || i < firstTxDay || i > lastTxDay) {
        ['rev', 'revMa', 'fr', 'frMa', 'pt', 'ptMa'].forEach(function (k) { out[k].push(null); });
        continue;
      }
      var lo = Math.max(firstTxDay, i - 6);
      var rs = 0; var rc = 0; var fs = 0; var fc = 0; var ps = 0; var pc = 0;
      for (var j = lo; j <= i; j++) {
        rs += t.rev[j] / 1e6; rc += 1;
        var x = dayRate(j); if (x !== null) { fs += x; fc += 1; }
        var y = dayPt(j); if (y !== null) { ps += y; pc += 1; }
      }
      out.rev.push(t.rev[i] / 1e6); out.revMa.push(rs / rc);
      out.fr.push(dayRate(i)); out.frMa.push(fc ? fs / fc : null);
      out.pt.push(dayPt(i)); out.ptMa.push(pc ? ps / pc : null);
    }
    return out;
  }
  function renderTrends() {
    var r = sel();
    var days = daysOf(r.a, r.b);
    var s = trendSeries();
    var has = s.rev.some(function (v) { return v !== null && v !== 0; }) || s.fr.some(function (v) { return v !== null; });
    var unit = P.currency || 'amount';
    function rowsOf(a, b, fmt) { return days.map(function (d, i) { return [d, a[i] === null ? '\u2013' : fmt(a[i]), b[i] === null ? '\u2013' : fmt(b[i])]; }); }
    var revFmt = function (v) { return num(v, 2); };
    var frFmt = function (v) { return pct(v, 2); };
    var ptFmt = function (v) { return v.toFixed(2) + ' s'; };
    [['trend-revenue', 'Daily revenue with its 7-day moving average', [{ name: 'revenue', colour: C.sky, values: s.rev }],
      [{ name: '7-day average', colour: C.blue, values: s.revMa, width: 2.6 }], function (v) { return num(v, 2) + ' ' + unit; }, compact,
      'revenue (' + unit + ')', rowsOf(s.rev, s.revMa, revFmt), ['day', 'revenue', '7-day average']],
     ['trend-failure', 'Daily failure rate with its 7-day moving average', [],
      [{ name: 'daily', colour: C.orange, values: s.fr, width: 1.2, dots: true }, { name: '7-day average', colour: C.vermillion, values: s.frMa, width: 2.6 }],
      frFmt, function (v) { return Number((v * 100).toFixed(2)) + '%'; }, 'failure rate (%)', rowsOf(s.fr, s.frMa, frFmt), ['day', 'failure rate', '7-day average']],
     ['trend-processing', 'Daily average processing time with its 7-day moving average', [],
      [{ name: 'daily', colour: C.purple, values: s.pt, width: 1.2, dots: true }, { name: '7-day average', colour: C.green, values: s.ptMa, width: 2.6 }],
      ptFmt, function (v) { return Number(v.toFixed(2)) + ' s'; }, 'processing time (s)', rowsOf(s.pt, s.ptMa, ptFmt), ['day', 'processing time', '7-day average']],
    ].forEach(function (c) {
      chartCard(c[0], function (w) {
        if (!has) return empty(ERR.transactions);
        return columnChart({ label: c[1], days: days, bars: c[2], lines: c[3], value: c[4], tick: c[5], yLabel: c[6] }, w) +
          figures(c[0], c[8], c[7], [false, true, true]);
      });
    });
  }

  /** Top n by value and the rest as one "other" row. */
  function topN(entries, n) {
    entries.sort(function (a, b) { return b.value - a.value || a.label.localeCompare(b.label); });
    if (entries.length <= n) return entries;
    var rest = entries.slice(n);
    var selectedRest = rest.filter(function (e) { return e.selected; });
    var keep = entries.slice(0, n).concat(selectedRest);
    var other = rest.filter(function (e) { return !e.selected; });
    if (other.length) keep.push({ label: other.length + ' other' + (other.length === 1 ? '' : 's'), value: other.reduce(function (s, e) { return s + e.value; }, 0),
      extra: other.reduce(function (s, e) { return s.map(function (x, i) { return x + e.extra[i]; }); }, other[0].extra.map(function () { return 0; })), other: true });
    return keep;
  }
  /** The geography level the comparison shows: regions, the states of a region, or the cities of a state. */
  function geoLevel() {
    if (S.state) return { name: 'city', of: function (ci) { return D.cities[ci][0]; }, label: function (k) { return D.cities[cityByKey[k]][1]; }, selected: S.city, title: 'cities of ' + S.state };
    if (S.region) return { name: 'state', of: function (ci) { return D.cities[ci][2]; }, label: function (k) { return k; }, selected: '', title: 'states of region ' + S.region };
    return { name: 'region', of: function (ci) { return D.cities[ci][3]; }, label: function (k) { return k; }, selected: '', title: 'regions' };
  }
  function geoParentOk(ci) {
    if (S.state) return D.cities[ci][2] === S.state;
    if (S.region) return D.cities[ci][3] === S.region;
    return true;
  }
  function comparison(id, title, n, entriesOf, fmt, tick, xLabel, colour, extraHead, extraFmt) {
    chartCard(id, function (w) {
      var entries = entriesOf();
      if (!entries.length || entries.every(function (e) { return e.value === 0 && e.extra[0] === 0; })) return empty(ERR.transactions);
      var items = topN(entries, n);
      return barChart({ label: title, items: items, value: fmt, tick: tick, xLabel: xLabel, colour: colour }, w) +
        figures(id, [xLabel.replace(/ \(.*/, '') === xLabel ? 'item' : 'item', xLabel].concat(extraHead),
          items.map(function (it) { return [it.label, fmt(it.value)].concat(extraFmt(it.extra)); }), [false, true].concat(extraHead.map(function () { return true; })));
    });
  }
  function txEntries(except, groupOf, labelOf, selectedKey) {
    var r = sel();
    var g = grouped(TX, ['rev', 'n', 'f', 'ptMs', 'ptN'], txKeep(except), groupOf, r.a, r.b);
    return Object.keys(g).map(function (k) {
      return { label: labelOf(k), key: k, value: g[k][0] / 1e6, extra: g[k].slice(1), selected: selectedKey !== '' && k === selectedKey };
    });
  }
  function txExtra(x) { return [num(x[0]), x[0] ? pct(x[1] / x[0]) : '\u2013', x[3] ? (x[2] / 1000 / x[3]).toFixed(2) + ' s' : '\u2013']; }
  function renderComparisons() {
    var unit = P.currency || 'amount';
    var money = function (v) { return num(v, 2); };
    var head = ['transactions', 'failure rate', 'avg processing time'];
    comparison('compare-channel', 'Revenue by payment channel (top 4)', 4, function () {
      return txEntries('channel', function (r) { return D.channels[TX.ch[r]][0]; }, function (k) {
        return channelName(D.channels.map(function (c) { return c[0]; }).indexOf(k)); }, S.channel);
    }, money, compact, 'revenue (' + unit + ')', C.blue, head, txExtra);
    var level = geoLevel();
    document.querySelector('#compare-geo h3').textContent = 'Revenue by ' + level.name + ' (top 6 ' + level.title + ')';
    comparison('compare-geo', 'Revenue by ' + level.name + ' (top 6)', 6, function () {
      var r = sel();
      var keep = function (row) { return chOk(TX.ch[row]) && segOk(TX.sg[row]) && geoParentOk(TX.ci[row]); };
      var g = grouped(TX, ['rev', 'n', 'f', 'ptMs', 'ptN'], keep, function (row) { return level.of(TX.ci[row]); }, r.a, r.b);
      return Object.keys(g).map(function (k) { return { label: level.label(k), value: g[k][0] / 1e6, extra: g[k].slice(1), selected: level.selected !== '' && k === level.selected }; });
    }, money, compact, 'revenue (' + unit + ')', C.green, head, txExtra);
    comparison('compare-segment', 'Revenue by customer segment (top 4)', 4, function () {
      return txEntries('segment', function (r) { return D.segments[TX.sg[r]]; }, function (k) { return k; }, S.segment);
    }, money, compact, 'revenue (' + unit + ')', C.orange, head, txExtra);
  }

  var SA = P.sales;
  function salesKeep(r) { return cityOk(SA.ci[r]) && segOk(SA.sg[r]); }
  function renderSales() {
    var r = sel();
    var t = grouped(SA, ['lines', 'units', 'cents', 'disc', 'discN'], salesKeep, function () { return 'all'; }, r.a, r.b).all;
    var note = document.getElementById('sales-note');
    note.textContent = S.channel ? 'Order lines carry no payment channel: the channel filter does not apply to sales.' : '';
    if (!t) {
      setCard('sales-cards', '<div class="card">' + empty(ERR.sales) + '</div>');
      ['sales-category', 'sales-geo', 'sales-trend'].forEach(function (id) { chartCard(id, function () { return empty(ERR.sales); }); });
      return;
    }
    setCard('sales-cards', [
      kpiCard('sales-value', 'Sales value', num(t[2] / 100, 2), '', null, 'up', 'after discounts'),
      kpiCard('order-lines', 'Order lines', num(t[0]), '', null, 'up', num(t[1]) + ' units'),
      kpiCard('avg-discount', 'Avg discount', t[4] ? pct(t[3] / 1e4 / t[4]) : '\u2013', '', null, 'up', 'over the lines with a discount'),
    ].join(''));
    var money = function (v) { return num(v, 2); };
    comparison('sales-category', 'Sales value by category (top 6)', 6, function () {
      var g = grouped(SA, ['cents', 'lines', 'units'], salesKeep, function (row) { return D.categories[SA.cat[row]]; }, r.a, r.b);
      return Object.keys(g).map(function (k) { return { label: k, value: g[k][0] / 100, extra: g[k].slice(1) }; });
    }, money, compact, 'sales value', C.purple, ['order lines', 'units'], function (x) { return [num(x[0]), num(x[1])]; });
    var level = geoLevel();
    document.querySelector('#sales-geo h3').textContent = 'Sales value by ' + level.name + ' (top 6 ' + level.title + ')';
    comparison('sales-geo', 'Sales value by ' + level.name + ' (top 6)', 6, function () {
      var keep = function (row) { return segOk(SA.sg[row]) && geoParentOk(SA.ci[row]); };
      var g = grouped(SA, ['cents', 'lines', 'units'], keep, function (row) { return level.of(SA.ci[row]); }, r.a, r.b);
      return Object.keys(g).map(function (k) { return { label: level.label(k), value: g[k][0] / 100, extra: g[k].slice(1), selected: level.selected !== '' && k === level.selected }; });
    }, money, compact, 'sales value', C.green, ['order lines', 'units'], function (x) { return [num(x[0]), num(x[1])]; });
    var daysList = daysOf(r.a, r.b);
    var v = daily(SA, ['cents'], salesKeep).cents;
    var vals = []; var ma = [];
    for (var i = r.a; i <= r.b; i++) {
      vals.push(v[i] / 100);
      var lo = Math.max(0, i - 6); var s = 0; for (var j = lo; j <= i; j++) s += v[j] / 100;
      ma.push(s / (i - lo + 1));
    }
    chartCard('sales-trend', function (w) {
      return columnChart({ label: 'Daily sales value with its 7-day moving average', days: daysList, bars: [{ name: 'sales value', colour: C.sky, values: vals }],
        lines: [{ name: '7-day average', colour: C.blue, values: ma, width: 2.6 }], value: money, tick: compact, yLabel: 'sales value' }, w) +
        figures('sales-trend', ['day', 'sales value', '7-day average'], daysList.map(function (d, k) { return [d, money(vals[k]), money(ma[k])]; }), [false, true, true]);
    });
  }

  var BA = P.balances;
  function renderBalances() {
    var r = sel();
    var keep = function (row) { return cityOk(BA.ci[row]) && segOk(BA.sg[row]); };
    var t = daily(BA, ['close', 'inflow', 'outflow', 'n'], keep);
    var daysList = daysOf(r.a, r.b);
    var close = []; var inflow = []; var outflow = [];
    var any = false;
    for (var i = r.a; i <= r.b; i++) {
      if (t.n[i] > 0) any = true;
      close.push(t.n[i] > 0 ? t.close[i] / 100 : null);
      inflow.push(t.inflow[i] / 100); outflow.push(-t.outflow[i] / 100);
    }
    var money = function (v) { return num(v, 2); };
    chartCard('balance-total', function (w) {
      if (!any) return empty(ERR.balances);
      return columnChart({ label: 'Total closing balance per day', days: daysList, lines: [{ name: 'closing balance', colour: C.blue, values: close, width: 2.4 }],
        value: money, tick: compact, yLabel: 'closing balance' }, w) +
        figures('balance-total', ['day', 'closing balance', 'accounts'], daysList.map(function (d, k) { return [d, close[k] === null ? '\u2013' : money(close[k]), num(t.n[r.a + k])]; }), [false, true, true]);
    });
    chartCard('balance-flows', function (w) {
      if (!any) return empty(ERR.balances);
      return columnChart({ label: 'Money in and out of the accounts per day', days: daysList,
        bars: [{ name: 'in', colour: C.green, values: inflow }, { name: 'out', colour: C.vermillion, values: outflow }], value: money, tick: compact, yLabel: 'moves' }, w) +
        figures('balance-flows', ['day', 'in', 'out'], daysList.map(function (d, k) { return [d, money(inflow[k]), money(-outflow[k])]; }), [false, true, true]);
    });
  }

  // ---- portfolios and inventory: per product, over all clients / locations (no geography)
  var PF = P.portfolio;
  // Units and amounts alike: two decimals.
  var units = function (v) { return num(v, 2); };
  function renderPortfolio() {
    var r = sel();
    var pi = S.product ? D.products.indexOf(S.product) : -1;
    var keep = function (row) { return pi < 0 || PF.p[row] === pi; };
    var t = daily(PF, ['held', 'lien', 'avail', 'value', 'valued'], keep);
    var daysList = daysOf(r.a, r.b);
    var rowsOn = new Float64Array(NDAYS);
    for (var k = 0; k < PF.d.length; k++) if (keep(k)) rowsOn[PF.d[k]]++;
    var any = false; var value = []; var held = []; var lien = []; var avail = [];
    for (var i = r.a; i <= r.b; i++) {
      var has = rowsOn[i] > 0;
      if (has) any = true;
      value.push(has && t.valued[i] > 0 ? t.value[i] / 100 : null);
      held.push(has ? t.held[i] / 100 : null); lien.push(has ? t.lien[i] / 100 : null); avail.push(has ? t.avail[i] / 100 : null);
    }
    var what = pi < 0 ? 'all products' : S.product;
    chartCard('portfolio-value', function (w) {
      if (!any) return empty(ERR.portfolio);
      return columnChart({ label: 'Market value per day, ' + what, days: daysList, lines: [{ name: 'market value', colour: C.blue, values: value, width: 2.4 }],
        value: units, tick: compact, yLabel: 'market value' }, w) +
        figures('portfolio-value', ['day', 'market value'], daysList.map(function (d, k) { return [d, value[k] === null ? '\u2013' : units(value[k])]; }), [false, true]);
    });
    chartCard('portfolio-units', function (w) {
      if (!any) return empty(ERR.portfolio);
      if (pi < 0) {
        var g = grouped(PF, ['clients', 'held', 'lien', 'avail', 'value'], function () { return true; }, function (row) { return PF.p[row]; }, r.b, r.b);
        var keys = Object.keys(g).map(Number).sort(function (x, y) { return g[y][4] - g[x][4] || D.products[x].localeCompare(D.products[y]); });
        if (!keys.length) return empty(ERR.portfolio);
        return '<p class="note">On ' + esc(dateLong(iso(r.b))) + '; pick a product to see its days.</p>' +
          table('portfolio-products', ['product', 'clients', 'held', 'under lien', 'available', 'market value'], keys.map(function (k) {
            return [D.products[k], num(g[k][0]), units(g[k][1] / 100), units(g[k][2] / 100), units(g[k][3] / 100), units(g[k][4] / 100)];
          }), [false, true, true, true, true, true]);
      }
      return columnChart({ label: 'Units of ' + S.product + ' per day', days: daysList, lines: [
        { name: 'held', colour: C.blue, values: held, width: 2.4 }, { name: 'under lien', colour: C.orange, values: lien, width: 2 },
        { name: 'available', colour: C.green, values: avail, width: 2 }], value: units, tick: compact, yLabel: 'units' }, w) +
        legend([['held', C.blue, 'line'], ['under lien', C.orange, 'line'], ['available', C.green, 'line']]) +
        figures('portfolio-units', ['day', 'held', 'under lien', 'available'], daysList.map(function (d, k) {
          return [d, held[k] === null ? '\u2013' : units(held[k]), lien[k] === null ? '\u2013' : units(lien[k]), avail[k] === null ? '\u2013' : units(avail[k])];
        }), [false, true, true, true]);
    });
  }

  var IV = P.inventory;
  function renderInventory() {
    var r = sel();
    var si = S.sku ? D.skus.indexOf(S.sku) : -1;
    var keep = function (row) { return si < 0 || IV.p[row] === si; };
    var t = daily(IV, ['onHand', 'recv', 'issued', 'neg', 'locs'], keep);
    var daysList = daysOf(r.a, r.b);
    var any = false; var onHand = []; var recv = []; var issued = [];
    for (var i = r.a; i <= r.b; i++) {
      if (t.locs[i] > 0) any = true;
      onHand.push(t.locs[i] > 0 ? t.onHand[i] / 100 : null); recv.push(t.recv[i] / 100); issued.push(-t.issued[i] / 100);
    }
    chartCard('inventory-units', function (w) {
      if (!any) return empty(ERR.inventory);
      return columnChart({ label: 'Units on hand per day, ' + (si < 0 ? 'all stock items' : S.sku), days: daysList,
        bars: [{ name: 'received', colour: C.green, values: recv }, { name: 'issued', colour: C.vermillion, values: issued }],
        lines: [{ name: 'on hand', colour: C.blue, values: onHand, width: 2.4 }], value: units, tick: compact, yLabel: 'units' }, w) +
        figures('inventory-units', ['day', 'on hand', 'received', 'issued', 'locations below zero'], daysList.map(function (d, k) {
          return [d, onHand[k] === null ? '\u2013' : units(onHand[k]), units(recv[k]), units(-issued[k]), num(t.neg[r.a + k])];
        }), [false, true, true, true, true]);
    });
    chartCard('inventory-products', function (w) {
      var g = grouped(IV, ['onHand', 'locs', 'neg'], function () { return true; }, function (row) { return IV.p[row]; }, r.b, r.b);
      var items = Object.keys(g).map(Number).map(function (k) {
        return { label: D.skus[k], value: g[k][0] / 100, selected: k === si, extra: [], note: num(g[k][1]) + ' locations, ' + num(g[k][2]) + ' below zero' };
      }).sort(function (x, y) { return y.value - x.value || x.label.localeCompare(y.label); });
      if (!items.length) return empty(ERR.inventory);
      return barChart({ label: 'Units on hand per stock item on ' + iso(r.b), items: items, value: units, tick: compact, xLabel: 'units on hand', colour: C.blue }, w) +
        figures('inventory-products', ['stock item', 'on hand', 'locations', 'below zero'], Object.keys(g).map(Number).sort(function (x, y) { return D.skus[x].localeCompare(D.skus[y]); }).map(function (k) {
          return [D.skus[k], units(g[k][0] / 100), num(g[k][1]), num(g[k][2])];
        }), [false, true, true, true]);
    });
  }

  var AC = P.accounts;
  var accountIndex = {};
  AC.ids.forEach(function (id, i) { accountIndex[id] = i; });
  function renderAccount() {
    var box = document.getElementById('account-view');
    var id = S.account;
    if (!id) { box.innerHTML = '<p class="note">Type or pick an account to see its daily balance and moves.</p>'; return; }
    var ai = accountIndex[id];
    if (ai === undefined) {
      box.innerHTML = '<div class="empty"><p>Account ' + esc(id) + ' is not among the ' + AC.ids.length +
        ' accounts this page holds (those with an alert in the span, then the largest moves).</p><p class="reason">ledgerlake balance ' + esc(id) +
        ' --date YYYY-MM-DD answers for any account.</p></div>';
      return;
    }
    var r = sel();
    var rows = [];
    for (var k = 0; k < AC.a.length; k++) if (AC.a[k] === ai) rows.push(k);
    var daysList = daysOf(r.a, r.b);
    var line = []; var moves = [];
    var last = null; var p = 0;
    for (var i = r.a; i <= r.b; i++) {
      while (p < rows.length && AC.d[rows[p]] <= i) { last = rows[p]; if (AC.d[rows[p]] >= r.a && AC.chg[rows[p]] !== 0) moves.push(rows[p]); p++; }
      line.push(last === null ? null : AC.close[last] / 100);
    }
    var money = function (v) { return num(v, 2); };
    var w = widthOf(box);
    box.innerHTML = '<h3>Account ' + esc(id) + (AC.customers[ai] ? ' (' + esc(AC.customers[ai]) + ')' : '') + '</h3>' +
      columnChart({ label: 'Daily closing balance of account ' + id, days: daysList, lines: [{ name: 'closing balance', colour: C.blue, values: line, width: 2.4, dots: true }],
        value: money, tick: compact, yLabel: 'closing balance' }, w) +
      (moves.length ? table('account-moves', ['day', 'opening', 'move', 'closing'], moves.map(function (k) {
        return [iso(AC.d[k]), money(AC.open[k] / 100), signed(money(Math.abs(AC.chg[k]) / 100), AC.chg[k]), money(AC.close[k] / 100)];
      }), [false, true, true, true]) : '<p class="note">No moves in the selected days.</p>');
  }

  var AL = P.alerts;
  function renderAlerts() {
    var r = sel();
    var rows = [];
    for (var k = 0; k < AL.d.length; k++) if (AL.d[k] >= r.a && AL.d[k] <= r.b) rows.push(k);
    var cut = AL.cut ? '<p class="note">Only the ' + num(AL.d.length) + ' largest moves of the span are in this page; balance_moves holds them all.</p>' : '';
    if (!rows.length) { setCard('alerts-table', empty(ERR.alerts)); return; }
    setCard('alerts-table', table('alerts', ['day', 'rule', 'severity', 'entity', 'previous', 'new', 'change'], rows.map(function (k) {
      var rate = AL.rate[k];
      return [iso(AL.d[k]), AL.rules[AL.rule[k]], AL.sev[k], AL.entity[k], num(AL.prev[k] / 100, 2), num(AL.cur[k] / 100, 2),
        (rate === null ? 'from zero' : signed(pct(Math.abs(rate)), rate)) + (AL.flip[k] ? ', sign flip' : '')];
    }), [false, false, false, false, true, true, true]) + cut);
  }

  var Q = P.quality;
  function renderQuality() {
    var r = sel();
    var g = grouped(Q, ['valid', 'quar'], function () { return true; }, function (row) { return D.datasets[Q.ds[row]]; }, r.a, r.b);
    var keys = Object.keys(g).sort();
    setCard('quality-table', keys.length ? table('quality', ['dataset', 'valid rows', 'quarantined rows', 'rejected share'], keys.map(function (k) {
      var v = g[k][0]; var q = g[k][1];
      return [k, num(v), num(q), v + q ? pct(q / (v + q)) : '\u2013'];
    }), [false, true, true, true]) : empty(ERR.quality));
    var RJ = P.rejections;
    var rg = grouped(RJ, ['rows'], function () { return true; }, function (row) { return D.datasets[RJ.ds[row]] + ' \u00b7 ' + D.rules[RJ.rule[row]]; }, r.a, r.b);
    var rk = Object.keys(rg).map(function (k) { return { label: k, value: rg[k][0], extra: [] }; });
    chartCard('quality-rules', function (w) {
      if (!rk.length) return empty(ERR.rejections);
      var items = topN(rk, 6);
      return barChart({ label: 'Rejected rows by broken rule (top 6)', items: items, value: function (v) { return num(v); }, tick: compact, xLabel: 'rejected rows', colour: C.vermillion }, w) +
        figures('quality-rules', ['rule', 'rejected rows'], items.map(function (it) { return [it.label, num(it.value)]; }), [false, true]);
    });
  }

  // ---- filters
  var form = document.getElementById('filters');
  function options(select, list, current, allLabel) {
    select.innerHTML = '<option value="">' + esc(allLabel) + '</option>' + list.map(function (o) {
      return '<option value="' + esc(o[0]) + '"' + (o[0] === current ? ' selected' : '') + '>' + esc(o[1]) + '</option>';
    }).join('');
  }
  function syncControls() {
    form.elements.from.value = S.from; form.elements.to.value = S.to;
    options(form.elements.region, regions.map(function (x) { return [x, x]; }), S.region, 'All regions');
    options(form.elements.state, statesOf(S.region).map(function (x) { return [x, x]; }), S.state, 'All states');
    options(form.elements.city, citiesOf(S.region, S.state).map(function (i) { return [D.cities[i][0], D.cities[i][1]]; }), S.city, 'All cities');
    options(form.elements.channel, D.channels.map(function (c, i) { return [c[0], channelName(i)]; }), S.channel, 'All channels');
    options(form.elements.segment, D.segments.map(function (x) { return [x, x]; }), S.segment, 'All segments');
    document.getElementById('account-search').value = S.account;
    options(document.getElementById('product-select'), D.products.map(function (x) { return [x, x]; }), S.product, 'All products');
    options(document.getElementById('sku-select'), D.skus.map(function (x) { return [x, x]; }), S.sku, 'All stock items');
  }
  function render() {
    writeHash();
    renderSummary(); renderKpis(); renderTrends(); renderComparisons(); renderSales(); renderBalances(); renderAccount();
    renderAlerts(); renderPortfolio(); renderInventory(); renderQuality();
  }
  function apply() { S = readHash(); syncControls(); render(); }
  function onChange(e) {
    var el = e.target;
    var next = {};
    Object.keys(S).forEach(function (k) { next[k] = S[k]; });
    if (el.name === 'from' || el.name === 'to') next[el.name] = el.value;
    if (el.name === 'region') { next.region = el.value; next.state = ''; next.city = ''; }
    if (el.name === 'state') { next.state = el.value; next.city = ''; }
    if (el.name === 'city') next.city = el.value;
    if (el.name === 'channel') next.channel = el.value;
    if (el.name === 'segment') next.segment = el.value;
    if (el.name === 'account') next.account = el.value.trim();
    if (el.name === 'product') next.product = el.value;
    if (el.name === 'sku') next.sku = el.value;
    var q = new URLSearchParams();
    Object.keys(defaults).forEach(function (k) { if (next[k] !== defaults[k]) q.set(k, next[k]); });
    history.replaceState(null, '', location.pathname + location.search + (q.toString() ? '#' + q.toString() : ''));
    apply();
  }
  form.addEventListener('change', onChange);
  document.getElementById('account-search').addEventListener('change', onChange);
  document.getElementById('product-select').addEventListener('change', onChange);
  document.getElementById('sku-select').addEventListener('change', onChange);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  form.addEventListener('reset', function (e) {
    e.preventDefault();
    history.replaceState(null, '', location.pathname + location.search);
    apply();
  });
  var list = document.getElementById('account-list');
  list.innerHTML = AC.ids.map(function (id, i) { return '<option value="' + esc(id) + '">' + esc(AC.customers[i] || '') + '</option>'; }).join('');
  window.addEventListener('hashchange', apply);
  var resizeTimer = null;
  window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(render, 150); });

  // ---- instant tooltips (pointer and touch); the <title> stays for screen readers and no-script
  var tip = document.createElement('div');
  tip.className = 'tip'; tip.setAttribute('role', 'tooltip'); tip.hidden = true;
  document.body.appendChild(tip);
  var active = null;
  function show(event) {
    var target = event.target instanceof Element ? event.target.closest('[data-tip]') : null;
    if (active && active !== target) active.classList.remove('active');
    active = target;
    if (!target) { tip.hidden = true; return; }
    target.classList.add('active');
    tip.textContent = target.getAttribute('data-tip');
    tip.hidden = false;
    var x = event.clientX + 14; var y = event.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth - 4) x = event.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > window.innerHeight - 4) y = event.clientY - tip.offsetHeight - 14;
    tip.style.left = Math.max(4, x) + 'px'; tip.style.top = Math.max(4, y) + 'px';
  }
  window.addEventListener('pointermove', show);
  window.addEventListener('pointerdown', show);
  window.addEventListener('scroll', function () { tip.hidden = true; }, { passive: true });

  apply();
  document.documentElement.setAttribute('data-ready', 'true');
}`;
