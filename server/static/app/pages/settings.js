// Settings: daily loss limit, pause, account exposure caps, the tunnel, and notifications to the trader's phone or e-mail.
import { html, useEffect, useState } from "../lib.js";
import {
  ACCOUNT_CAP_FIELDS, getNotifications, getSettings, getStatus, getTunnel, sendTestNotification, setAccountCaps,
  setDailyLossLimit, setNotifyEvents, setNotifyUrls, setPaused,
} from "../api.js";
import { Badge, Card, CopyField, ErrorNote, Field, Loading, PageHead, Toggle, usePoll } from "../ui.js";

function LossLimit({ settings, onSaved }) {
  const [value, setValue] = useState(settings.dailyLossLimitPct === null ? "" : String(settings.dailyLossLimitPct));
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setValue(settings.dailyLossLimitPct === null ? "" : String(settings.dailyLossLimitPct)), [settings.dailyLossLimitPct]);
  const save = async (e) => {
    e.preventDefault();
    setError(null); setSaved(false);
    const text = value.trim();
    const pct = text === "" ? null : Number(text.replace(",", "."));
    if (pct !== null && !Number.isFinite(pct)) { setError({ fields: { daily_loss_limit_pct: "Enter a number, or leave it empty for no limit." } }); return; }
    try { await setDailyLossLimit(pct); setSaved(true); await onSaved(); } catch (err) { setError(err); }
  };
  const fieldError = error && error.fields ? error.fields.daily_loss_limit_pct : null;
  return html`<form onSubmit=${save} novalidate class="inline-form">
    <${Field} id="loss-limit" label="Daily loss limit (% of the day's starting balance)" error=${fieldError}
      help="Once today's closed loss reaches it, new alerts are discarded until 00:00 UTC. Empty: no limit.">
      <div class="inline"><input id="loss-limit" type="text" inputmode="decimal" value=${value}
        onInput=${(e) => setValue(e.currentTarget.value)} placeholder="no limit" />
      <button type="submit" class="btn btn-primary">Save</button></div><//>
    ${saved && html`<span class="note-inline" role="status">Saved.</span>`}
    ${error && !fieldError && html`<${ErrorNote} error=${error} />`}
  </form>`;
}

// Notification targets (apprise URLs, write-only: never shown back), the events sent, and a test button.
function Notifications() {
  const found = usePoll(getNotifications, 0);
  const [urls, setUrls] = useState("");
  const [error, setError] = useState(null);
  const [said, setSaid] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!found.data) return html`<${ErrorNote} error=${found.error} /><${Loading} />`;
  const n = found.data;
  const act = async (work) => {
    setError(null); setSaid(null); setBusy(true);
    try { await work(); await found.reload(); } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const saveUrls = (e) => { e.preventDefault(); act(async () => {
    const list = urls.split(/\s+/).filter(Boolean);
    await setNotifyUrls(list); setUrls("");
    setSaid(list.length ? `Saved ${list.length} target(s).` : "No URL typed: nothing changed.");
  }); };
  const removeAll = () => act(async () => { await setNotifyUrls([]); setSaid("Removed every target."); });
  const toggle = (kind, on) => act(async () => {
    const chosen = n.events.filter((e) => (e.kind === kind ? on : e.chosen)).map((e) => e.kind);
    await setNotifyEvents(chosen);
  });
  const test = () => act(async () => { const r = await sendTestNotification(); setSaid(r.message); });
  return html`<div data-testid="notifications">
    <p class="muted small">Besides this PC's notifications, tvbridge can send them where you read them: Telegram,
      Discord, e-mail, ntfy and ~100 other services, each given as an apprise URL, for example${" "}
      <code>tgram://bottoken/chatid</code>, <code>discord://webhook_id/webhook_token</code>,${" "}
      <code>mailto://user:password@example.com</code> or <code>ntfy://topic</code>. The URLs hold your
      credentials: they are kept in the system keyring (Windows' Credential Manager) and never shown again.</p>
    ${n.targets.length ? html`<ul class="words" data-testid="notify-targets">${n.targets.map((t) => html`<li>
      ${t.position}: <strong>${t.service}</strong>${t.known ? "" : " — apprise cannot read this URL; replace it"}</li>`)}
      </ul>` : html`<p><strong>No targets yet.</strong></p>`}
    ${n.source === "environment" && html`<p class="muted small">Read from the TVBRIDGE_NOTIFY_URLS environment variable.</p>`}
    ${n.problem && html`<p class="note note-warn small">${n.problem}</p>`}
    <form class="inline-form" onSubmit=${saveUrls} novalidate>
      <${Field} id="notify-urls" label="Replace the targets (one or more URLs, separated by spaces or lines)">
        <textarea id="notify-urls" rows="2" spellcheck="false" autocomplete="off" value=${urls}
          onInput=${(e) => setUrls(e.currentTarget.value)}></textarea><//>
      <button type="submit" class="btn btn-primary" disabled=${busy}>Save targets</button>
      ${n.targets.length > 0 && html`<button type="button" class="btn" disabled=${busy} onClick=${removeAll}>Remove all</button>`}
    </form>
    <fieldset class="checks"><legend class="small">Send</legend>
      ${n.events.map((e) => html`<label class="check" key=${e.kind}><input type="checkbox" checked=${e.chosen}
        disabled=${busy} onChange=${(ev) => toggle(e.kind, ev.currentTarget.checked)} /> ${e.words}</label>`)}
    </fieldset>
    <div class="row-actions"><button type="button" class="btn" disabled=${busy || !n.targets.length} onClick=${test}
      data-testid="notify-test">Send test notification</button></div>
    ${said && html`<p class="note note-ok" role="status">${said}</p>`}
    <${ErrorNote} error=${error} />
  </div>`;
}

// Account-wide exposure caps (strategy controls): checked by the agent before every entry; exits always run.
function AccountCaps({ settings, onSaved }) {
  const shown = (v) => (v === null || v === undefined ? "" : String(v));
  const [pct, setPct] = useState(shown(settings.accountMaxExposurePct));
  const [basis, setBasis] = useState(settings.accountExposureBasis);
  const [positions, setPositions] = useState(shown(settings.accountMaxOpenPositions));
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const save = async (e) => {
    e.preventDefault();
    setError(null); setSaved(false);
    const num = (text) => (text.trim() === "" ? null : Number(text.trim().replace(",", ".")));
    const caps = { maxExposurePct: num(pct), basis, maxOpenPositions: num(positions) };
    if (caps.maxExposurePct !== null && !Number.isFinite(caps.maxExposurePct)) {
      setError({ fields: { [ACCOUNT_CAP_FIELDS.maxExposurePct]: "Enter a number, or leave it empty for no cap." } }); return;
    }
    if (caps.maxOpenPositions !== null && !Number.isInteger(caps.maxOpenPositions)) {
      setError({ fields: { [ACCOUNT_CAP_FIELDS.maxOpenPositions]: "Enter a whole number, or leave it empty." } }); return;
    }
    try { await setAccountCaps(caps); setSaved(true); await onSaved(); } catch (err) { setError(err); }
  };
  const fieldError = (key) => (error && error.fields ? error.fields[ACCOUNT_CAP_FIELDS[key]] : null);
  const anyField = Object.keys(ACCOUNT_CAP_FIELDS).some((k) => fieldError(k));
  return html`<form onSubmit=${save} novalidate class="account-caps">
    <${Field} id="account-exposure" label="Account exposure cap (% of equity)" error=${fieldError("maxExposurePct")}
      help="Every position on the account plus an entry may hold at most this. Exits always run. Empty: no cap.">
      <input id="account-exposure" type="text" inputmode="decimal" value=${pct} placeholder="no cap"
        onInput=${(e) => setPct(e.currentTarget.value)} /><//>
    <${Field} id="account-basis" label="Exposure measured as" error=${fieldError("basis")}>
      <select id="account-basis" value=${basis} onChange=${(e) => setBasis(e.currentTarget.value)}>
        <option value="margin">margin</option><option value="notional">notional value</option></select><//>
    <${Field} id="account-positions" label="Account max open positions" error=${fieldError("maxOpenPositions")}
      help="Entries that would open a position while the account holds this many are refused. Empty: no cap.">
      <input id="account-positions" type="text" inputmode="numeric" value=${positions} placeholder="no cap"
        onInput=${(e) => setPositions(e.currentTarget.value)} /><//>
    <button type="submit" class="btn btn-primary">Save caps</button>
    ${saved && html`<span class="note-inline" role="status">Saved.</span>`}
    ${error && !anyField && html`<${ErrorNote} error=${error} />`}
  </form>`;
}

export function SettingsPage() {
  const settings = usePoll(getSettings, 5000);
  const tunnel = usePoll(getTunnel, 5000);
  const status = usePoll(getStatus, 10000);
  const [error, setError] = useState(null);
  if (!settings.data) return html`<div class="page"><${ErrorNote} error=${settings.error} /><${Loading} /></div>`;
  const pause = async (on) => { setError(null); try { await setPaused(on); await settings.reload(); } catch (e) { setError(e); } };
  const t = tunnel.data;
  return html`<div class="page">
    <${PageHead} title="Settings" sub=${status.data ? `tvbridge ${status.data.version}` : ""} />
    <${Card} title="Risk">
      <div class="setting-row"><div><strong>Pause all trading</strong>
        <p class="muted small">While paused every alert is logged as discarded. The same as the tray's "Pause all trading".</p></div>
        <${Toggle} checked=${settings.data.paused} onChange=${pause} label="Pause all trading" /></div>
      <${ErrorNote} error=${error} />
      <${LossLimit} settings=${settings.data} onSaved=${settings.reload} />
    <//>
    <${Card} title="Account exposure caps">
      <${AccountCaps} settings=${settings.data} onSaved=${settings.reload} />
    <//>
    <${Card} title="Tunnel (how TradingView reaches this PC)">
      ${!t ? html`<${Loading} />` : html`<div class="tunnel">
        <div class="tunnel-state"><${Badge} status=${t.state} /> <span>${t.reason || ""}</span></div>
        ${t.publicUrl && html`<${CopyField} value=${t.publicUrl} />`}
        <p class="muted small">Set up once in a terminal: <code>tvbridge secret set ngrok-authtoken</code>, and for a
          URL that never changes <code>tvbridge config set ngrok_domain your-name.ngrok-free.app</code>; then restart
          tvbridge.</p></div>`}
    <//>
    <${Card} title="Notifications" id="notifications"><${Notifications} /><//>
  </div>`;
}
