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

  function sankey(el, flows, ends) {
    const [left, right] = ends || [" (origin)", " (destination)"];
    el.dataset.drawn = "0";
    if (!flows.length) {
      Plotly.purge(el);
      el.innerHTML = '<p class="empty">No flows to draw.</p>';
      el.dataset.flows = "0";
      el.dataset.drawn = "1";
      return Promise.resolve();
    }
    const empty = el.querySelector(".empty");
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

  function initScan() {
    const form = document.getElementById("filters");
    const chart = document.getElementById("sankey");
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
      fillFlowsTable(table, flows);
      shown.textContent = n.toLocaleString("en") + " of " + all.length.toLocaleString("en") + " transfers shown";
      document.body.dataset.shown = String(n);
      return sankey(chart, flows);
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
    apply();
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

  window.DataflowRulesReport = { aggregate, sankey, bars };
  const init = { scan: initScan, diff: initDiff, trail: initTrail }[data.kind];
  if (init) init();
})();
