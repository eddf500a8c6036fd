// Trades and performance: open positions with their strategy's name. Closed trades, the equity curve and the
// statistics come from the trade ledger (a later version): their place is kept here.
import { html } from "../lib.js";
import { getAgents, listPositions, listStrategies } from "../api.js";
import { lots, price, signedMoney, words } from "../format.js";
import { Card, Empty, ErrorNote, Loading, PageHead, usePoll } from "../ui.js";
import { pnlToday } from "./strategies.js";

async function load() {
  const [strategies, agents] = await Promise.all([listStrategies(), getAgents()]);
  const positions = await listPositions(strategies);
  return { strategies, agents, positions };
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
      <td>${p.symbol}</td><td>${words(p.type)}</td><td class="num">${lots(p.volume)}</td>
      <td class="num">${price(p.priceOpen)}</td><td class="num">${price(p.sl)}</td><td class="num">${price(p.tp)}</td>
      <td class=${"num " + (p.profit > 0 ? "pos" : p.profit < 0 ? "neg" : "")}>${signedMoney(p.profit, currency)}</td>
      <td class="muted">${p.ticket}</td></tr>`)}
    </tbody>
    <tfoot><tr><td colspan="7">Total</td><td class=${"num " + (total > 0 ? "pos" : total < 0 ? "neg" : "")}>${signedMoney(total, currency)}</td><td></td></tr></tfoot>
  </table></div>`;
}

export function TradesPage() {
  const data = usePoll(load, 3000);
  if (!data.data) return html`<div class="page"><${ErrorNote} error=${data.error} /><${Loading} /></div>`;
  const { strategies, agents, positions } = data.data;
  const currency = (agents.find((a) => a.account) || { account: { currency: "" } }).account.currency;
  return html`<div class="page">
    <${PageHead} title="Trades and performance" sub="Open positions, and each strategy's result today." />
    <${Card} title="Open positions"><${Positions} positions=${positions} currency=${currency} /><//>
    <${Card} title="Today by strategy">
      <div class="table-wrap"><table class="table"><thead><tr><th>Strategy</th><th class="num">Open positions</th>
        <th class="num">Closed P&L today</th></tr></thead>
        <tbody>${strategies.map((s) => {
          const pnl = pnlToday(s, agents);
          return html`<tr><td><a href=${"/strategies/" + s.id}>${s.name}</a></td>
            <td class="num">${positions.filter((p) => p.strategy && p.strategy.id === s.id).length}</td>
            <td class=${"num " + (pnl && pnl.value > 0 ? "pos" : pnl && pnl.value < 0 ? "neg" : "")}>${pnl ? signedMoney(pnl.value, pnl.currency) : "—"}</td></tr>`;
        })}</tbody></table></div>
    <//>
    <${Card} title="Closed trades, equity curve and statistics" className="card-placeholder">
      <div class="placeholder" data-testid="ledger-placeholder">
        <strong>Coming with the trade ledger.</strong>
        <p>Each closed trade with its strategy, exit reason and P&L, an equity curve per strategy, win rate and
          drawdown, and a CSV export will appear here. Today's closed P&L per strategy is above.</p>
      </div>
    <//>
  </div>`;
}
