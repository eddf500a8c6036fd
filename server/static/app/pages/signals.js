// Signals: the full log with filters (strategy, outcome, symbol, time, text) and pages, plus a latency chart.
import { html, useEffect, useRef, useState } from "../lib.js";
import { listSignals, listStrategies } from "../api.js";
import { Card, Empty, ErrorNote, Field, Loading, PageHead, useData, usePoll } from "../ui.js";
import { AwaitingApproval } from "./approval.js";
import { SignalRows } from "./home.js";
import uPlot from "/static/vendor/uplot/uPlot.esm.js";

const PAGE_SIZE = 50;
const STATUSES = ["", "pending", "awaiting_approval", "executed", "rejected", "discarded", "duplicate", "expired", "failed"];

// datetime-local value (local time) -> ISO string for the API.
const toIso = (local) => (local ? new Date(local).toISOString() : "");

function readFilters() {
  const q = new URLSearchParams(window.location.search);
  return {
    strategyId: q.get("strategy") || "", status: q.get("status") || "", symbol: q.get("symbol") || "",
    search: q.get("q") || "", since: q.get("since") || "", until: q.get("until") || "",
    page: Number(q.get("page") || 0),
  };
}

function writeFilters(f) {
  const q = new URLSearchParams();
  const map = { strategy: f.strategyId, status: f.status, symbol: f.symbol, q: f.search, since: f.since, until: f.until };
  for (const [k, v] of Object.entries(map)) if (v) q.set(k, v);
  if (f.page) q.set("page", String(f.page));
  const s = q.toString();
  window.history.replaceState(null, "", "/signals" + (s ? "?" + s : ""));
}

// Receipt -> fill time of the executed signals on this page (uPlot, vendored).
function LatencyChart({ signals }) {
  const ref = useRef(null);
  const points = signals.filter((s) => s.status === "executed" && s.timings.fillMs !== null && s.timings.fillMs !== undefined)
    .slice().reverse();
  useEffect(() => {
    if (!ref.current || points.length < 2) return undefined;
    const width = Math.max(ref.current.clientWidth, 200);
    const data = [points.map((s) => s.id), points.map((s) => s.timings.fillMs), points.map((s) => s.timings.ackMs)];
    const chart = new uPlot({
      width, height: 170, legend: { show: true },
      scales: { x: { time: false } },
      axes: [{ label: "signal", size: 44, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        values: (u, ticks) => ticks.map((t) => "#" + t) }, { label: "ms", size: 50 }],
      series: [{ label: "signal", value: (u, v) => (v === null ? "—" : "#" + v) },
        { label: "received → filled (ms)", stroke: "#2563eb", width: 2, points: { show: true } },
        { label: "received → acknowledged (ms)", stroke: "#16a34a", width: 1.5 }],
    }, data, ref.current);
    return () => chart.destroy();
  }, [signals]);
  if (points.length < 2) return html`<p class="muted small">The latency chart appears once this page shows two executed signals.</p>`;
  return html`<div class="chart" ref=${ref} data-testid="latency-chart"></div>`;
}

export function SignalsPage() {
  const strategies = useData(listStrategies);
  const [filters, setFilters] = useState(readFilters);
  const [draft, setDraft] = useState(filters);
  useEffect(() => writeFilters(filters), [filters]);
  const page = usePoll(() => listSignals({
    strategyId: filters.strategyId, status: filters.status, symbol: filters.symbol, search: filters.search,
    since: toIso(filters.since), until: toIso(filters.until),
  }, PAGE_SIZE, filters.page * PAGE_SIZE), filters.page === 0 ? 3000 : 0, [JSON.stringify(filters)]);

  const apply = (e) => { e.preventDefault(); setFilters({ ...draft, page: 0 }); };
  const clear = () => { const empty = { strategyId: "", status: "", symbol: "", search: "", since: "", until: "", page: 0 }; setDraft(empty); setFilters(empty); };
  const d = (key) => (e) => setDraft({ ...draft, [key]: e.currentTarget.value });
  const items = page.data ? page.data.items : null;
  return html`<div class="page">
    <${PageHead} title="Signals" sub="Every alert received, with its outcome and the reason. Newest first." />
    <${AwaitingApproval} />
    <${Card}>
      <form class="filters" onSubmit=${apply} role="search">
        <${Field} id="s-strategy" label="Strategy"><select id="s-strategy" value=${draft.strategyId} onChange=${d("strategyId")}>
          <option value="">All strategies</option>
          ${(strategies.data || []).map((s) => html`<option value=${String(s.id)}>${s.name}</option>`)}</select><//>
        <${Field} id="s-status" label="Outcome"><select id="s-status" value=${draft.status} onChange=${d("status")}>
          ${STATUSES.map((s) => html`<option value=${s}>${s || "All outcomes"}</option>`)}</select><//>
        <${Field} id="s-symbol" label="Symbol"><input id="s-symbol" type="text" value=${draft.symbol} onInput=${d("symbol")} placeholder="EURUSD" /><//>
        <${Field} id="s-search" label="Search"><input id="s-search" type="search" value=${draft.search} onInput=${d("search")} placeholder="text in message or reason" /><//>
        <${Field} id="s-since" label="From"><input id="s-since" type="datetime-local" value=${draft.since} onInput=${d("since")} /><//>
        <${Field} id="s-until" label="Until"><input id="s-until" type="datetime-local" value=${draft.until} onInput=${d("until")} /><//>
        <div class="filters-actions"><button type="submit" class="btn btn-primary">Apply</button>
          <button type="button" class="btn" onClick=${clear}>Clear</button></div>
      </form>
    <//>
    <${ErrorNote} error=${page.error} />
    <${Card} title=${`Page ${filters.page + 1}`} actions=${html`
      <button type="button" class="btn btn-small" disabled=${filters.page === 0} onClick=${() => setFilters({ ...filters, page: filters.page - 1 })}>← Newer</button>
      <button type="button" class="btn btn-small" disabled=${!page.data || !page.data.hasMore} onClick=${() => setFilters({ ...filters, page: filters.page + 1 })}>Older →</button>`}>
      ${!items ? html`<${Loading} />` : !items.length
        ? html`<${Empty} title="No signals match.">${filters.page ? "There are no older signals." : "Change the filters, or send an alert."}<//>`
        : html`<${SignalRows} signals=${items} />`}
    <//>
    ${items && items.length > 0 && html`<${Card} title="Latency"><${LatencyChart} signals=${items} /><//>`}
  </div>`;
}
