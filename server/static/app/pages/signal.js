// One signal: outcome and reason, what the alert asked for, who decided, the orders sent, timings, raw message.
import { html } from "../lib.js";
import { explainSignal, getSignal } from "../api.js";
import { dateTime, lots, num, price, words } from "../format.js";
import { Badge, Card, CopyButton, Empty, ErrorNote, Loading, PageHead, TimingBar, usePoll } from "../ui.js";
import { Accounts, ApprovalButtons } from "./approval.js";

function Orders({ orders }) {
  if (!orders.length) return html`<${Empty} title="No order was sent to MetaTrader 5." />`;
  return html`<div class="table-wrap"><table class="table" data-testid="orders">
    <thead><tr><th class="col-request">Request</th><th>Type</th><th>Symbol</th><th class="num">Lots</th><th class="num">Price</th>
      <th class="num">SL</th><th class="num">TP</th><th>Ticket / deal</th><th class="col-answer">Answer</th></tr></thead>
    <tbody>${orders.map((o) => html`<tr>
      <td>${o.description || "—"}</td><td>${words(o.type)}</td><td>${o.symbol}</td>
      <td class="num">${lots(o.volume)}</td><td class="num">${price(o.price)}</td>
      <td class="num">${price(o.sl)}</td><td class="num">${price(o.tp)}</td>
      <td class="nowrap">${o.ticket || "—"}${o.deal ? html` / ${o.deal}` : ""}</td>
      <td>${o.retcode === null || o.retcode === undefined ? html`<span class="muted">found by reconciliation</span>`
        : html`<code>${o.retcode} ${o.retcodeName}</code><div class="small">${o.retcodeSentence}</div>`}</td>
    </tr>`)}</tbody></table></div>`;
}

export function SignalPage({ id }) {
  const sig = usePoll(() => Promise.all([getSignal(id), explainSignal(id)]), 2000, [id]);
  if (sig.error && !sig.data) return html`<div class="page"><${ErrorNote} error=${sig.error} /></div>`;
  if (!sig.data) return html`<div class="page"><${Loading} /></div>`;
  const [s, why] = sig.data;
  return html`<div class="page" data-testid="signal-detail" data-status=${s.status}>
    <${PageHead} title=${`Signal #${s.id}`}
      sub=${html`${s.strategyName ? html`<a href=${"/strategies/" + s.strategyId}>${s.strategyName}</a> · ` : ""}received ${dateTime(s.createdAt)}`}
      actions=${html`<a class="btn" href="/signals">All signals</a>`} />
    <section class=${"outcome-panel outcome-" + s.status}>
      <div class="outcome-head"><${Badge} status=${s.status} />
        <span class="outcome-what">${words(s.action)} ${s.volume !== null && s.volume !== undefined ? lots(s.volume) + " lots" : ""} ${s.symbol || ""}</span>
        ${s.fillPrice ? html`<span class="muted">filled at ${num(s.fillPrice, 6)}</span>` : ""}
        ${s.orderTicket ? html`<span class="muted">ticket ${s.orderTicket}</span>` : ""}</div>
      ${s.reason && html`<p class="outcome-reason" data-testid="signal-reason">${s.reason}</p>`}
      ${s.notes.map((n) => html`<p class="outcome-note">${n}</p>`)}
      <p class="muted small" data-testid="decided-by">${why.decidedBy}${why.gate ? ` (gate: ${why.gate})` : ""}</p>
      ${s.status === "awaiting_approval" && html`<${ApprovalButtons} signal=${s} onDone=${sig.reload} />`}
    </section>
    <${Accounts} accounts=${s.accounts} />
    <div class="grid-2">
      <${Card} title="What the alert asked for">
        ${why.intentWords.length ? html`<ul class="words" data-testid="intent-words">${why.intentWords.map((w) => html`<li>${w}</li>`)}</ul>`
          : html`<p class="muted">The message could not be read as an instruction (see the reason above).</p>`}
      <//>
      <${Card} title="Timings"><${TimingBar} timings=${s.timings} /><//>
    </div>
    <${Card} title="Orders sent"><${Orders} orders=${why.orders} /><//>
    <${Card} title="Raw message" actions=${html`<${CopyButton} text=${s.raw || ""} />`}>
      <pre class="raw" data-testid="raw-message">${s.raw || ""}</pre>
      <p class="muted small">Content-Type: ${s.contentType || "none"} (ignored: the format is read from the message).</p>
    <//>
  </div>`;
}
