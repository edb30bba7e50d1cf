/* dataflow-rules HTML reports: draws the flow diagrams and charts with the inlined
   plotly.js from the report's own data, and applies the filters. No network. */
(function () {
  "use strict";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const data = read("report-data");
  const SANKEY = read("sankey-template");
  const BAR = read("bar-template");
  const COLOURS = data.colours;
  const ORDER = ["restrict", "review", "allow"];
  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["toImage", "sendDataToCloud"] };

  function tint(hex, a) {
    const n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  /* [[origin, destination, verdict], ...] with a count each -> sorted [[o, d, v, n], ...] */
  function aggregate(items) {
    const counts = new Map();
    for (const [o, d, v, n] of items) {
      const key = o + "\u0000" + d + "\u0000" + v;
      counts.set(key, (counts.get(key) || 0) + (n === undefined ? 1 : n));
    }
    const out = [];
    for (const [key, n] of counts) out.push(key.split("\u0000").concat([n]));
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : ORDER.indexOf(a[2]) - ORDER.indexOf(b[2])));
    return out;
  }

  const SVG = "http://www.w3.org/2000/svg";

  function svgEl(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  /* The flow diagram as plain SVG, drawn at once while plotly.js (about 4.8 MB) waits to be
     evaluated: origins left, destinations right, each node as tall as its transfers, each
     band as wide as its flow, coloured by verdict; the same classes as plotly's Sankey
     (g.sankey-node rect, path.sankey-link). plotly's interactive diagram replaces it. */
  function quickSankey(el, flows, ends) {
    const [left, right] = ends || [" (origin)", " (destination)"];
    el.textContent = "";
    if (!flows.length) {
      el.innerHTML = '<p class="empty">No flows to draw.</p>';
      el.dataset.flows = "0";
      el.dataset.drawn = "1";
      return Promise.resolve();
    }
    const origins = [...new Set(flows.map((f) => f[0]))].sort();
    const destinations = [...new Set(flows.map((f) => f[1]))].sort();
    const height = Math.max(300, Math.min(1600, 60 + 30 * Math.max(origins.length, destinations.length)));
    const width = Math.max(320, el.clientWidth || 900);
    const pad = 8, top = 20, nodeWidth = 15, x0 = 130, x1 = width - 130 - nodeWidth;
    const total = (side, key) => flows.reduce((n, f) => n + (f[side] === key ? f[3] : 0), 0);
    const sum = flows.reduce((n, f) => n + f[3], 0);
    const most = Math.max(origins.length, destinations.length);
    const scale = (height - 2 * top - pad * (most - 1)) / Math.max(1, sum);
    const svg = svgEl("svg", { width: width, height: height, class: "quick-sankey", "aria-hidden": "true" }, el);
    const place = (keys, side, x, label) => {
      const at = new Map();
      let y = top;
      for (const key of keys) {
        const h = Math.max(1, total(side, key) * scale);
        at.set(key, { y: y, next: y });
        const g = svgEl("g", { class: "sankey-node" }, svg);
        svgEl("rect", { x: x, y: y, width: nodeWidth, height: h, fill: "#555" }, g);
        const t = svgEl("text", {
          x: side === 0 ? x - 6 : x + nodeWidth + 6, y: y + h / 2, "dominant-baseline": "middle",
          "text-anchor": side === 0 ? "end" : "start", "font-size": 12,
        }, g);
        t.textContent = key + label;
        y += h + pad;
      }
      return at;
    };
    const from = place(origins, 0, x0, left);
    const to = place(destinations, 1, x1, right);
    const a = x0 + nodeWidth, b = x1, mid = (a + b) / 2;
    for (const [o, d, v, n] of flows) {
      const h = Math.max(1, n * scale), s = from.get(o), t = to.get(d);
      const y0 = s.next, y1 = t.next;
      s.next += h; t.next += h;
      const path = svgEl("path", {
        class: "sankey-link", fill: tint(COLOURS[v], 0.6),
        d: `M${a},${y0}C${mid},${y0} ${mid},${y1} ${b},${y1}L${b},${y1 + h}C${mid},${y1 + h} ${mid},${y0 + h} ${a},${y0 + h}Z`,
      }, svg);
      svgEl("title", {}, path).textContent = `${o} → ${d}: ${n} ${v}`;
    }
    el.dataset.flows = String(flows.length);
    el.dataset.drawn = "1";
    if (!performance.getEntriesByName("dataflow-rules:drawn").length) performance.mark("dataflow-rules:drawn");
    return Promise.resolve();
  }

  function sankey(el, flows, ends) {
    if (!window.Plotly) return quickSankey(el, flows, ends);
    const [left, right] = ends || [" (origin)", " (destination)"];
    el.dataset.drawn = "0";
    if (!flows.length) {
      Plotly.purge(el);
      el.innerHTML = '<p class="empty">No flows to draw.</p>';
      el.dataset.flows = "0";
      el.dataset.drawn = "1";
      return Promise.resolve();
    }
    const empty = el.querySelector(".empty, svg.quick-sankey");
    if (empty) empty.remove();
    const labels = [], index = new Map();
    const node = (key, label) => {
      if (!index.has(key)) { index.set(key, labels.length); labels.push(label); }
      return index.get(key);
    };
    const origins = [...new Set(flows.map((f) => f[0]))].sort();
    const destinations = [...new Set(flows.map((f) => f[1]))].sort();
    origins.forEach((o) => node("o" + o, o + left));
    destinations.forEach((d) => node("d" + d, d + right));
    const link = { source: [], target: [], value: [], color: [], customdata: [] };
    for (const [o, d, v, n] of flows) {
      link.source.push(index.get("o" + o));
      link.target.push(index.get("d" + d));
      link.value.push(n);
      link.color.push(tint(COLOURS[v], 0.6));
      link.customdata.push(v);
    }
    const base = SANKEY.data[0];
    const trace = Object.assign({}, base, {
      node: Object.assign({}, base.node, { label: labels }),
      link: Object.assign({}, base.link, link, {
        hovertemplate: "%{source.label} → %{target.label}: %{value} %{customdata}<extra></extra>",
      }),
    });
    const height = Math.max(300, Math.min(1600, 60 + 30 * Math.max(origins.length, destinations.length)));
    const layout = Object.assign({}, SANKEY.layout, { height: height });
    el.dataset.flows = String(flows.length);
    return Plotly.newPlot(el, [trace], layout, CONFIG).then(() => { el.dataset.drawn = "1"; });
  }

  /* x labels and {verdict: [y...]} -> a stacked bar chart, strictest on top of the legend */
  function bars(el, x, series, title) {
    const traces = ORDER.filter((v) => series[v]).map((v) => ({
      type: "bar", name: v, x: x, y: series[v], marker: { color: COLOURS[v] },
    }));
    const layout = Object.assign({}, BAR.layout, {
      height: 320, xaxis: { type: "category", automargin: true }, yaxis: { title: { text: title }, automargin: true },
    });
    el.dataset.drawn = "0";
    return Plotly.newPlot(el, traces, layout, CONFIG).then(() => { el.dataset.drawn = "1"; });
  }

  function fillFlowsTable(table, flows) {
    const body = table.tBodies[0];
    body.textContent = "";
    let total = 0;
    for (const [o, d, v, n] of flows) {
      const tr = body.insertRow();
      tr.dataset.origin = o; tr.dataset.destination = d; tr.dataset.verdict = v;
      tr.insertCell().textContent = o;
      tr.insertCell().textContent = d;
      const badge = document.createElement("span");
      badge.className = "badge v-" + v; badge.textContent = v;
      tr.insertCell().appendChild(badge);
      const c = tr.insertCell(); c.className = "num"; c.textContent = n.toLocaleString("en");
      total += n;
    }
    table.tFoot.querySelector("td").textContent = total.toLocaleString("en");
  }

  /* plotly.js waits in an inert <script type="text/x-plotly"> (html_report.py) so that the
     page and its quick diagram paint first; it is evaluated after the first frame. */
  function loadPlotly() {
    const source = document.getElementById("plotly-src");
    if (window.Plotly || !source) return Promise.resolve(Boolean(window.Plotly));
    return new Promise((resolve) => {
      requestAnimationFrame(() => setTimeout(() => {
        const s = document.createElement("script");
        s.textContent = source.textContent;
        document.head.appendChild(s);
        source.remove();
        resolve(Boolean(window.Plotly));
      }, 0));
    });
  }

  function initScan() {
    const form = document.getElementById("filters");
    let chart = document.getElementById("sankey");
    const table = document.getElementById("flows-table");
    const shown = document.getElementById("shown");
    const sections = Array.from(document.querySelectorAll("section.flow"));
    const all = data.transfers;

    /* A flow's later rows wait as gzipped HTML (see html_report.py): inflate and parse them in. */
    async function expand(section) {
      const later = section.querySelector("script.more-rows");
      if (!later) return;
      later.remove();
      const bytes = Uint8Array.from(atob(later.textContent.trim()), (c) => c.charCodeAt(0));
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      const html = await new Response(stream).text();
      section.querySelector("tbody").insertAdjacentHTML("beforeend", html);
      const button = section.querySelector("button.show-all");
      if (button) button.parentElement.remove();
    }

    let generation = 0;
    let current = [];
    let upgrading = false;
    async function apply() {
      const mine = ++generation;
      chart.dataset.drawn = "0";
      const verdicts = new Set(Array.from(form.querySelectorAll("input[name=verdict]:checked"), (i) => i.value));
      const country = form.country.value;
      const rule = form.rule.value;
      const narrowed = verdicts.size < ORDER.length || country !== "" || rule !== "";
      const ruleIndex = rule ? data.rules.indexOf(rule) : -1;
      const visible = all.map(([o, d, v, r]) =>
        verdicts.has(v) && (!country || o === country || d === country) && (ruleIndex < 0 || r.includes(ruleIndex)));
      const flowsShown = new Set();
      let n = 0;
      all.forEach(([o, d], i) => { if (visible[i]) { n += 1; flowsShown.add(o + "\u0000" + d); } });
      const shownSections = sections.filter((s) => {
        s.hidden = !flowsShown.has(s.dataset.origin + "\u0000" + s.dataset.destination);
        return !s.hidden;
      });
      if (narrowed) await Promise.all(shownSections.map(expand));
      if (mine !== generation) return;  /* a later change of the filters is being applied */
      for (const s of shownSections) {
        for (const tr of s.querySelectorAll("tr[data-t]")) {
          tr.hidden = !(visible[+tr.dataset.t] && (!rule || tr.dataset.rule === rule));
        }
      }
      const flows = aggregate(all.filter((_, i) => visible[i]).map(([o, d, v]) => [o, d, v]));
      current = flows;
      fillFlowsTable(table, flows);
      shown.textContent = n.toLocaleString("en") + " of " + all.length.toLocaleString("en") + " transfers shown";
      document.body.dataset.shown = String(n);
      return upgrading ? quickSankey(chart, flows) : sankey(chart, flows);
    }

    /* Swap the quick diagram for plotly's in one step: plotly draws into a hidden twin, which
       then takes the chart's place and id, so the page never shows half a diagram. */
    async function upgrade() {
      const original = window.Plotly;
      if (original) return;
      upgrading = true;
      const ready = await loadPlotly();
      if (!ready) { upgrading = false; return; }
      let drawnFor;
      const twin = chart.cloneNode(false);
      twin.removeAttribute("id");
      twin.style.cssText = "position:absolute;left:-20000px;top:0;width:" + chart.clientWidth + "px";
      chart.after(twin);
      do {
        drawnFor = current;
        await sankey(twin, drawnFor);
      } while (drawnFor !== current);
      twin.style.cssText = "";
      chart.replaceWith(twin);
      twin.id = "sankey";
      chart = twin;
      upgrading = false;
      performance.mark("dataflow-rules:interactive");
      document.body.dataset.interactive = "1";
    }
    form.addEventListener("change", apply);
    for (const s of sections) {
      const button = s.querySelector("button.show-all");
      if (button) button.addEventListener("click", () => { chart.dataset.drawn = "0"; expand(s).then(apply); });
    }
    /* A browser prints at once after "beforeprint", before rows can be inflated: a first
       print may lack the packed rows (each flow's heading gives its count); printing
       again, or "show all" first, prints every row. */
    window.addEventListener("beforeprint", () => { Promise.all(sections.map(expand)).then(apply); });
    apply().then(upgrade);
  }

  function initDiff() {
    sankey(document.getElementById("sankey-before"), data.before);
    sankey(document.getElementById("sankey-after"), data.after);
    sankey(document.getElementById("sankey-moved"), data.moved, [" (before)", " (after)"]);
  }

  function initTrail() {
    sankey(document.getElementById("sankey"), data.flows);
    if (data.days.length) bars(document.getElementById("by-day"), data.days, data.by_day, "decisions");
    if (data.destinations.length)
      bars(document.getElementById("by-destination"), data.destinations, data.by_destination, "decisions");
  }

  window.DataflowRulesReport = { aggregate, sankey, quickSankey, bars };
  const init = { scan: initScan, diff: initDiff, trail: initTrail }[data.kind];
  if (init) init();
})();
