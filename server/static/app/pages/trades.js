// Trades and performance: open positions (on a netting account, each strategy's share) with their strategy's name,
// today's result, and the trade ledger: closed trades with their exit reasons, an equity curve, each strategy's
// statistics, what closed positions without a signal, and a CSV export. Money is in the account currency.
import { html, useEffect, useRef, useState } from "../lib.js";
import { allTrades, getAgents, getStrategyStats, listEvents, listPositions, listStrategies, listTrades } from "../api.js";
import { dateTime, lots, money, price, signedMoney, time, words } from "../format.js";
import { Card, Empty, ErrorNote, Field, Loading, PageHead, useData, usePoll } from "../ui.js";
import { pnlToday } from "./strategies.js";
import uPlot from "/static/vendor/uplot/uPlot.esm.js";

const PAGE = 50;
const REASONS = {
  signal: "its signal", partial: "its signal (part)", sl: "stop loss", tp: "take profit", stop_out: "stop-out",
  manual: "by hand / other EA", other_strategy: "another strategy", max_hold: "max hold time",
  flat_time: "daily flat time", expired_pending: "pending order expired",
  tp1: "TP1 reached", tp2: "TP2 reached", tp3: "TP3 reached",
};

async function load() {
  const [strategies, agents] = await Promise.all([listStrategies(), getAgents()]);
  const positions = await listPositions(strategies);
  return { strategies, agents, positions };
}

const tone = (v) => (v > 0 ? "pos" : v < 0 ? "neg" : "");

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

function Positions({ positions, currency }) {
  if (!positions.length) return html`<${Empty} title="No open positions." />`;
  const total = positions.reduce((t, p) => t + (p.profit || 0), 0);
  return html`<div class="table-wrap"><table class="table" data-testid="positions">
    <thead><tr><th>Strategy</th><th>Symbol</th><th>Side</th><th class="num">Lots</th><th class="num">Open</th>
      <th class="num">SL</th><th class="num">TP</th><th class="num">Unrealised P&L</th><th>Ticket</th></tr></thead>
    <tbody>${positions.map((p) => html`<tr>
      <td>${p.strategy ? html`<a href=${"/strategies/" + p.strategy.id}>${p.strategy.name}</a>`
        : html`<span class="muted" title=${"magic " + p.magic}>manual / other (magic ${p.magic})</span>`}</td>
      <td>${p.symbol}</td><td>${words(p.type)}</td>
      <td class="num">${lots(p.volume)}${p.positionVolume !== null
        ? html` <span class="muted small" title="its share of the account's one netting position">of ${lots(p.positionVolume)}</span>` : ""}</td>
      <td class="num">${price(p.priceOpen)}</td><td class="num">${price(p.sl)}</td><td class="num">${price(p.tp)}</td>
      <td class=${"num " + tone(p.profit)}>${signedMoney(p.profit, currency)}</td>
      <td class="muted">${p.ticket}</td></tr>`)}
    </tbody>
    <tfoot><tr><td colspan="7">Total</td><td class=${"num " + tone(total)}>${signedMoney(total, currency)}</td><td></td></tr></tfoot>
  </table></div>`;
}

// Cumulative net P&L after each closed trade, oldest first (uPlot, vendored).
function EquityCurve({ trades }) {
  const ref = useRef(null);
  useEffect(() => {
    if (!ref.current || trades.length < 2) return undefined;
    let equity = 0;
    const xs = [];
    const ys = [];
    for (const t of trades) {
      equity += t.net;
      xs.push(new Date(t.exitTime).getTime() / 1000);
      ys.push(Math.round(equity * 100) / 100);
    }
    const chart = new uPlot({
      width: Math.max(ref.current.clientWidth, 200), height: 200, legend: { show: true },
      axes: [{}, { label: trades[0].currency, size: 64 }],
      series: [{ label: "exit" }, { label: "net P&L, cumulative", stroke: "#2563eb", width: 2, fill: "rgba(37,99,235,0.08)" }],
    }, [xs, ys], ref.current);
    return () => chart.destroy();
  }, [trades]);
  if (trades.length < 2) return html`<p class="muted small">The equity curve appears after two closed trades.</p>`;
  return html`<div class="chart" ref=${ref} data-testid="equity-chart"></div>`;
}

function Stats({ stats }) {
  if (!stats.length) return html`<${Empty} title="No strategy has closed a trade yet." />`;
  return html`<div class="table-wrap"><table class="table" data-testid="ledger-stats">
    <thead><tr><th>Strategy</th><th class="num">Trades</th><th class="num">Win rate</th><th class="num">Net P&L</th>
      <th class="num">Gross P&L</th><th class="num">Costs</th><th class="num">Profit factor</th>
      <th class="num">Avg win / loss</th><th class="num">Max drawdown</th><th class="num">Open lots</th></tr></thead>
    <tbody>${stats.map((s) => html`<tr>
      <td><a href=${"/strategies/" + s.strategyId}>${s.strategyName}</a></td><td class="num">${s.trades}</td>
      <td class="num">${s.winRate === null ? "—" : s.winRate.toFixed(1) + " %"}</td>
      <td class=${"num " + tone(s.net)}>${signedMoney(s.net, s.currency)}</td>
      <td class="num">${signedMoney(s.gross, s.currency)}</td><td class="num">${money(s.costs, s.currency)}</td>
      <td class="num">${s.profitFactor === null ? "—" : s.profitFactor.toFixed(2)}</td>
      <td class="num">${s.averageWin === null ? "—" : money(s.averageWin)} / ${s.averageLoss === null ? "—" : money(s.averageLoss)}</td>
      <td class="num">${money(s.maxDrawdown, s.currency)}</td><td class="num">${lots(s.openLots)}</td></tr>`)}
    </tbody></table></div>`;
}

function csvOf(trades) {
  const cols = ["exit_time", "strategy", "symbol", "side", "lots", "entry_price", "exit_price", "entry_time", "duration_s",
    "profit", "commission", "swap", "fee", "net_pnl", "currency", "exit_reason", "entry_signal", "exit_signal"];
  const cell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = trades.map((t) => [t.exitTime, t.strategyName ?? "manual / other", t.symbol, t.side, t.volume,
    t.entryPrice, t.exitPrice, t.entryTime, t.durationSeconds, t.profit, t.commission, t.swap, t.fee, t.net,
    t.currency, t.reason, t.entrySignal, t.exitSignal].map(cell).join(","));
  return [cols.join(","), ...rows].join("\n") + "\n";
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function ClosedTrades({ filters }) {
  const [page, setPage] = useState(0);
  useEffect(() => setPage(0), [filters.strategyId]);
  const data = usePoll(() => listTrades(filters, PAGE, page * PAGE), page === 0 ? 5000 : 0, [filters.strategyId, page]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const exportCsv = async () => {
    setBusy(true);
    setError(null);
    try {
      download(`tvbridge-trades${filters.strategyId ? "-strategy-" + filters.strategyId : ""}.csv`, csvOf(await allTrades(filters)));
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  if (!data.data) return html`<${ErrorNote} error=${data.error} /><${Loading} />`;
  const { items, total } = data.data;
  return html`<div>
    <div class="row-actions ledger-head"><button class="btn btn-small" type="button" disabled=${busy || !total} onClick=${exportCsv}
      data-testid="csv-export">Export CSV</button><span class="muted small">${total} closed trade${total === 1 ? "" : "s"}</span></div>
    <${ErrorNote} error=${error} />
    ${items.length ? html`<div class="table-wrap"><table class="table" data-testid="closed-trades">
      <thead><tr><th>Closed</th><th>Strategy</th><th>Symbol</th><th>Side</th><th class="num">Lots</th>
        <th class="num">Entry → exit</th><th class="num">Held</th><th class="num">Net P&L</th><th>Closed by</th></tr></thead>
      <tbody>${items.map((t) => html`<tr>
        <td title=${dateTime(t.exitTime)}>${time(t.exitTime)}</td>
        <td>${t.strategyId ? html`<a href=${"/strategies/" + t.strategyId}>${t.strategyName}</a>` : html`<span class="muted">manual / other</span>`}</td>
        <td>${t.symbol}</td><td>${t.side}</td><td class="num">${lots(t.volume)}</td>
        <td class="num">${price(t.entryPrice)} → ${price(t.exitPrice)}</td><td class="num">${duration(t.durationSeconds)}</td>
        <td class=${"num " + tone(t.net)} title=${`profit ${money(t.profit)}, costs ${money(t.commission + t.swap + t.fee)}`}>${signedMoney(t.net, t.currency)}</td>
        <td>${t.exitSignal ? html`<a href=${"/signals/" + t.exitSignal}>${REASONS[t.reason] || words(t.reason)}</a>` : REASONS[t.reason] || words(t.reason)}</td></tr>`)}
      </tbody></table></div>` : html`<${Empty} title="No closed trades yet." />`}
    <div class="pager">
      <button class="btn btn-small" type="button" disabled=${page === 0} onClick=${() => setPage(page - 1)}>← Newer</button>
      <button class="btn btn-small" type="button" disabled=${(page + 1) * PAGE >= total} onClick=${() => setPage(page + 1)}>Older →</button>
    </div>
  </div>`;
}

function Events({ filters }) {
  const data = usePoll(() => listEvents(filters, 10), 5000, [filters.strategyId]);
  if (!data.data) return html`<${ErrorNote} error=${data.error} />`;
  if (!data.data.length) return html`<${Empty} title="No position was closed without its signal." />`;
  return html`<ul class="events" data-testid="ledger-events">${data.data.map((e) => html`<li>
    <strong>${e.title}</strong> <span class="muted small">${time(e.time)}</span>
    <div>${e.message}${e.signalId ? html` <a href=${"/signals/" + e.signalId}>signal #${e.signalId}</a>` : ""}</div></li>`)}</ul>`;
}

function Ledger({ strategies }) {
  const [strategyId, setStrategyId] = useState("");
  const filters = { strategyId };
  const curve = usePoll(() => allTrades(filters), 10000, [strategyId]);
  const stats = usePoll(() => Promise.all(strategies.filter((s) => !strategyId || String(s.id) === strategyId)
    .map((s) => getStrategyStats(s.id))), 10000, [strategyId, strategies.length]);
  const closed = (curve.data || []).filter((t) => t.reason !== "expired_pending");
  return html`
    <${Card} title="Statistics" actions=${html`<${Field} id="ledger-strategy" label="Strategy">
      <select id="ledger-strategy" value=${strategyId} onChange=${(e) => setStrategyId(e.currentTarget.value)}>
        <option value="">All strategies</option>
        ${strategies.map((s) => html`<option value=${String(s.id)}>${s.name}</option>`)}</select><//>`}>
      ${stats.data ? html`<${Stats} stats=${stats.data.filter((s) => s.trades || s.openLots)} />` : html`<${ErrorNote} error=${stats.error} />`}
    <//>
    <${Card} title="Equity curve (closed trades, net)"><${EquityCurve} trades=${closed} /><//>
    <${Card} title="Closed trades"><${ClosedTrades} filters=${filters} /><//>
    <${Card} title="Closed without a signal (SL, TP, stop-out, by hand, exit rules)"><${Events} filters=${filters} /><//>`;
}

export function TradesPage() {
  const data = usePoll(load, 3000);
  const strategies = useData(listStrategies);
  if (!data.data) return html`<div class="page"><${ErrorNote} error=${data.error} /><${Loading} /></div>`;
  const { agents, positions } = data.data;
  const currency = (agents.find((a) => a.account) || { account: { currency: "" } }).account.currency;
  return html`<div class="page">
    <${PageHead} title="Trades and performance" sub="Open positions, today's result, and every closed trade with why it closed. Money in the account currency." />
    <${Card} title="Open positions"><${Positions} positions=${positions} currency=${currency} /><//>
    <${Card} title="Today by strategy">
      <div class="table-wrap"><table class="table"><thead><tr><th>Strategy</th><th class="num">Open positions</th>
        <th class="num">Closed P&L today</th></tr></thead>
        <tbody>${data.data.strategies.map((s) => {
          const pnl = pnlToday(s, agents);
          return html`<tr><td><a href=${"/strategies/" + s.id}>${s.name}</a></td>
            <td class="num">${positions.filter((p) => p.strategy && p.strategy.id === s.id).length}</td>
            <td class=${"num " + (pnl ? tone(pnl.value) : "")}>${pnl ? signedMoney(pnl.value, pnl.currency) : "—"}</td></tr>`;
        })}</tbody></table></div>
    <//>
    ${strategies.data ? html`<${Ledger} strategies=${strategies.data} />` : html`<${Loading} />`}
  </div>`;
}
