// Manual approval and several accounts (issue 13): the signals waiting for the trader (home and signals pages),
// approve/reject buttons, and each account's outcome on the signal page.
import { html, useState } from "../lib.js";
import { approveSignal, listAwaiting, rejectSignal } from "../api.js";
import { lots, price, time, words } from "../format.js";
import { Badge, Card, ErrorNote, usePoll } from "../ui.js";

// Approve / reject one waiting signal; a refusal (409: approved elsewhere, expired) is shown as its sentence.
export function ApprovalButtons({ signal, onDone }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [reason, setReason] = useState("");
  const act = async (fn) => {
    setBusy(true);
    setError(null);
    try { await fn(); } catch (e) { setError(e); } finally { setBusy(false); if (onDone) onDone(); }
  };
  return html`<div class="approval" data-testid=${"approval-" + signal.id}>
    <button type="button" class="btn btn-primary btn-small" disabled=${busy} data-testid="approve"
      onClick=${() => act(() => approveSignal(signal.id))}>Approve</button>
    <input type="text" class="approval-reason" placeholder="reason (optional)" maxlength="200" value=${reason}
      aria-label=${`Reason for rejecting signal ${signal.id}`} onInput=${(e) => setReason(e.currentTarget.value)} />
    <button type="button" class="btn btn-danger-outline btn-small" disabled=${busy} data-testid="reject"
      onClick=${() => act(() => rejectSignal(signal.id, reason.trim()))}>Reject</button>
    <${ErrorNote} error=${error} />
  </div>`;
}

// The signals awaiting approval, oldest first; nothing at all while none waits.
export function AwaitingApproval() {
  const waiting = usePoll(listAwaiting, 2000);
  const items = (waiting.data || []).slice().reverse();
  if (!items.length) return html`<${ErrorNote} error=${waiting.error} />`;
  return html`<${Card} title=${`Waiting for your approval (${items.length})`} className="card-approval">
    <p class="muted small">These alerts trade only once you approve them; unapproved, they expire at their strategy's
      max signal age.</p>
    <div class="table-wrap"><table class="table" data-testid="awaiting-approval">
      <thead><tr><th>#</th><th>Time</th><th>Strategy</th><th>Order</th><th>Decision</th></tr></thead>
      <tbody>${items.map((s) => html`<tr data-signal-id=${s.id}>
        <td><a href=${"/signals/" + s.id}>${s.id}</a></td>
        <td class="nowrap" title=${s.createdAt}>${time(s.createdAt)}</td>
        <td class="ellipsis">${s.strategyName || "—"}</td>
        <td class="nowrap">${words(s.action)} ${s.volume !== null && s.volume !== undefined ? lots(s.volume) : ""} ${s.symbol || ""}</td>
        <td><${ApprovalButtons} signal=${s} onDone=${waiting.reload} /></td>
      </tr>`)}</tbody></table></div>
  <//>`;
}

// Each account's own outcome (a strategy trading on several agents); shown when there is more than one.
export function Accounts({ accounts }) {
  if (!accounts || accounts.length < 2) return null;
  return html`<${Card} title="Accounts">
    <div class="table-wrap"><table class="table" data-testid="accounts">
      <thead><tr><th>Agent</th><th class="num">Multiplier</th><th>Outcome</th><th class="num">Lots</th>
        <th class="num">Fill</th><th>Ticket</th><th class="col-reason">Reason</th></tr></thead>
      <tbody>${accounts.map((a) => html`<tr data-agent=${a.agentId}>
        <td>${a.agentId}</td><td class="num">${a.multiplier}</td><td><${Badge} status=${a.status} /></td>
        <td class="num">${a.orders.length ? a.orders.map((o) => lots(o.volume)).join(" + ") : "—"}</td>
        <td class="num">${price(a.fillPrice)}</td><td>${a.orderTicket || "—"}</td>
        <td class="col-reason"><span class="reason">${a.reason || ""}</span></td>
      </tr>`)}</tbody></table></div>
  <//>`;
}
