// The HTML report's inline style and script (html.cpp puts them in the page: the page loads
// nothing from anywhere). Plain CSS and ES2017, no library.
//
// Script contract (tests/e2e/html_report_test.cpp relies on it):
//   - kHtmlErrorHook runs first, in <head>: any script error is appended to the attribute
//     data-errors of <html>;
//   - kHtmlScript, at the end of <body>, makes every table.sortable sort by a click on a header
//     with data-key (cells sort by their data-v number if they have one, else by text), sorts
//     table#sites by the URL fragment "#sort=KEY" or "#sort=KEY:asc|desc" (the table then says
//     data-sorted="KEY:DIR"), switches the icicle graphs with buttons[data-show], zooms an
//     icicle graph on a click on a box (its data-x/-w/-d: left, width as fractions, depth), or on
//     load by the fragment "#zoom=N" (the Nth box of the graph shown, from 0; the graph then says
//     data-zoom="N"), and at last marks <body data-ready="1">.
#pragma once

namespace goretain {

inline constexpr const char* kHtmlStyle = R"CSS(
:root{--fg:#1d2329;--muted:#5d6873;--line:#dde2e7;--bg:#fff;--alt:#f6f8fa;--leak:#c62828;
--alloc:#9fb7d4;--ret:#e0752d}
*{box-sizing:border-box}
body{margin:0;padding:16px 24px;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:24px 0 8px}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12.5px}
.summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:6px 16px;
margin:8px 0;padding:10px 12px;background:var(--alt);border:1px solid var(--line);border-radius:6px}
.summary div span{display:block;color:var(--muted);font-size:12px}
.summary .warn{color:var(--leak);font-weight:600}
.target{margin:2px 0}.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{background:var(--alt);font-weight:600;white-space:nowrap;position:sticky;top:0}
th[data-key]{cursor:pointer;user-select:none}
th[data-key]:hover{background:#e9eef3}
th.asc::after{content:" \25B2"}th.desc::after{content:" \25BC"}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.leak td:first-child{border-left:3px solid var(--leak)}
.flag{color:#fff;background:var(--leak);border-radius:3px;padding:0 5px;font-size:11px;font-weight:700}
.fn{font-weight:600;word-break:break-all}.loc{color:var(--muted);word-break:break-all}
.type{word-break:break-all}
details summary{cursor:pointer;color:var(--muted);font-size:12px}
details ol{margin:2px 0;padding-left:20px;font-size:12px}
svg.spark{display:block}svg.spark polyline{fill:none;stroke:var(--leak);stroke-width:1.5}
svg.spark polygon{fill:#f3c7c1;stroke:none}
.bars{min-width:140px}.bar{height:6px;border-radius:2px;margin:1px 0}
.bar.a{background:var(--alloc)}.bar.r{background:var(--ret)}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}
.icicle{position:relative;width:100%;border:1px solid var(--line);border-radius:4px;overflow:hidden}
.icicle div{position:absolute;cursor:pointer;height:17px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;
font-size:11.5px;line-height:17px;padding:0 3px;border-right:1px solid #fff;border-bottom:1px solid #fff;
color:#222}
.icicle div.leak{outline:1px solid var(--leak);outline-offset:-1px;font-weight:600}
.toggle button{font:inherit;padding:3px 10px;border:1px solid var(--line);background:var(--bg);
border-radius:4px;cursor:pointer}.toggle button.on{background:var(--fg);color:#fff}
.empty{color:var(--muted);font-style:italic}
)CSS";

inline constexpr const char* kHtmlErrorHook = R"JS(
window.onerror = function (msg, src, line) {
  var e = document.documentElement;
  e.setAttribute('data-errors', (e.getAttribute('data-errors') || '') + msg + ' (line ' + line + ')\n');
};
)JS";

inline constexpr const char* kHtmlScript = R"JS(
(function () {
  'use strict';
  function cellValue(row, col) {
    var c = row.cells[col];
    var v = c.getAttribute('data-v');
    return v === null ? c.textContent.toLowerCase() : parseFloat(v);
  }
  function sortTable(table, col, dir) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var keyed = rows.map(function (r, i) { return [cellValue(r, col), i, r]; });
    keyed.sort(function (a, b) {
      var c = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
      return (dir === 'desc' ? -c : c) || a[1] - b[1];
    });
    var frag = document.createDocumentFragment();
    keyed.forEach(function (k) { frag.appendChild(k[2]); });
    table.tBodies[0].appendChild(frag);
    var ths = table.tHead.rows[0].cells;
    for (var i = 0; i < ths.length; i++) ths[i].classList.remove('asc', 'desc');
    ths[col].classList.add(dir);
    table.setAttribute('data-sorted', ths[col].getAttribute('data-key') + ':' + dir);
  }
  function columnOf(table, key) {
    var ths = table.tHead.rows[0].cells;
    for (var i = 0; i < ths.length; i++) if (ths[i].getAttribute('data-key') === key) return i;
    return -1;
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      if (!th.hasAttribute('data-key')) return;
      th.addEventListener('click', function () {
        var numeric = th.classList.contains('num');
        var first = numeric ? 'desc' : 'asc', second = numeric ? 'asc' : 'desc';
        var now = table.getAttribute('data-sorted');
        sortTable(table, col, now === th.getAttribute('data-key') + ':' + first ? second : first);
      });
    });
  });
  var m = /sort=([a-z_]+)(?::(asc|desc))?/.exec(location.hash);
  var sites = document.getElementById('sites');
  if (m && sites) {
    var col = columnOf(sites, m[1]);
    if (col >= 0) sortTable(sites, col, m[2] || 'desc');
  }
  var buttons = document.querySelectorAll('.toggle button[data-show]');
  buttons.forEach(function (b) {
    b.addEventListener('click', function () {
      document.querySelectorAll('.icicle').forEach(function (d) {
        d.hidden = d.id !== b.getAttribute('data-show');
      });
      buttons.forEach(function (o) { o.classList.toggle('on', o === b); });
    });
  });
  // Zoom: the box's subtree fills the width, its ancestors span it, everything else hides.
  function zoom(graph, x0, w0, d0) {
    graph.querySelectorAll('div[data-w]').forEach(function (b) {
      var x = +b.getAttribute('data-x'), w = +b.getAttribute('data-w');
      var d = +b.getAttribute('data-d'), eps = 1e-7;
      var under = d >= d0 && x >= x0 - eps && x + w <= x0 + w0 + eps;
      var above = d < d0 && x <= x0 + eps && x + w >= x0 + w0 - eps;
      b.hidden = !under && !above;
      if (under) {
        b.style.left = ((x - x0) / w0 * 100) + '%';
        b.style.width = (w / w0 * 100) + '%';
      } else if (above) {
        b.style.left = '0%';
        b.style.width = '100%';
      }
    });
  }
  function zoomTo(graph, box) {
    zoom(graph, +box.getAttribute('data-x'), +box.getAttribute('data-w'),
         +box.getAttribute('data-d'));
    var boxes = graph.querySelectorAll('div[data-w]');
    graph.setAttribute('data-zoom', Array.prototype.indexOf.call(boxes, box));
  }
  document.querySelectorAll('.icicle').forEach(function (graph) {
    graph.addEventListener('click', function (e) {
      if (e.target.hasAttribute('data-w')) zoomTo(graph, e.target);
    });
  });
  document.querySelectorAll('button[data-unzoom]').forEach(function (b) {
    b.addEventListener('click', function () {
      document.querySelectorAll('.icicle').forEach(function (g) {
        zoom(g, 0, 1, 0);
        g.removeAttribute('data-zoom');
      });
    });
  });
  var z = /zoom=(\d+)/.exec(location.hash);
  var shown = document.querySelector('.icicle:not([hidden])');
  if (z && shown) {
    var target = shown.querySelectorAll('div[data-w]')[+z[1]];
    if (target) zoomTo(shown, target);
  }
  document.body.setAttribute('data-ready', '1');
})();
)JS";

}  // namespace goretain
