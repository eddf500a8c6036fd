// The dashboard's only door to tvbridge: every request to the admin API (/api/v1) and every API field name
// lives in this file. Pages see plain view objects (camelCase) built here, so a renamed API field is a
// change in this one file.

import { csrfToken, forgetSession } from "./session.js";

export class ApiError extends Error {
  // status: HTTP status; fields: {fieldName: sentence} for validation errors; message: a sentence.
  constructor(status, message, fields = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

let onSignedOut = () => {};
// The shell registers what to show when the session is gone (401).
export function whenSignedOut(callback) { onSignedOut = callback; }

function sentence(text) {
  // Pydantic's "Input should be greater than 0" -> "Must be greater than 0."
  let s = String(text || "").replace(/^Value error, /, "").replace(/^Input should be /, "Must be ");
  s = s.replace(/^String should have at most (\d+) characters?/, "Use at most $1 characters")
    .replace(/^String should have at least 1 character/, "Required")
    .replace(/^Field required$/, "Required")
    .replace(/^Extra inputs are not permitted$/, "Not a setting tvbridge knows");
  s = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + ".";
}

// FastAPI error bodies -> ApiError with a sentence, and per-field sentences for 422s.
function errorFrom(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return new ApiError(status, detail);
  if (Array.isArray(detail)) {
    const fields = {};
    const general = [];
    for (const d of detail) {
      const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body") : [];
      const field = loc.length ? String(loc[0]) : null;
      // the server adds a trader-facing ``message`` to each item (server/schemas/errors.py); beside its field the
      // field's own name is dropped: "max_lots must be more than 0 lots" -> "Must be more than 0 lots".
      let said = d.message || d.msg;
      if (field && said.startsWith(field + " ")) said = said.slice(field.length + 1);
      const text = sentence(said.charAt(0).toUpperCase() + said.slice(1));
      if (field && !fields[field]) fields[field] = text;
      else if (!field) general.push(text);
    }
    const n = Object.keys(fields).length;
    const msg = general[0] || (n ? `Please correct ${n === 1 ? "the field" : `the ${n} fields`} marked below.` : "The request was refused.");
    return new ApiError(status, msg, fields);
  }
  return new ApiError(status, `tvbridge answered with an error (HTTP ${status}).`);
}

async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const csrf = csrfToken();
  if (csrf) headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch("/api/v1" + path, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "tvbridge is not reachable: it may be stopped. Start it, then reload this page.");
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (resp.status === 401 && path !== "/auth/session") {
    forgetSession();
    onSignedOut();
  }
  if (!resp.ok) throw errorFrom(resp.status, data);
  return data;
}

const get = (path) => request("GET", path);
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

// -- sign-in ---------------------------------------------------------------------------------------------
export async function exchangeSignInCode(code) {
  const s = await request("POST", "/auth/session", { code });
  return { csrfToken: s.csrf_token, idleTimeoutSeconds: s.idle_timeout_seconds };
}
export const signOut = () => request("DELETE", "/auth/session");

// -- status, agents, accounts, tunnel, settings -----------------------------------------------------------
export async function getStatus() {
  const s = await get("/status");
  return { state: s.state, reasons: s.reasons || [], version: s.version };
}

function account(a) {
  return {
    agentId: a.agent_id, login: a.login, server: a.server, currency: a.currency || "", marginMode: a.margin_mode,
    balance: a.balance, equity: a.equity, marginFree: a.margin_free, dayStartBalance: a.day_start_balance,
    realizedToday: a.realized_pnl_today, pnlByMagic: a.pnl_by_magic || {}, takenAt: a.taken_at,
  };
}

// Agents joined with their latest account snapshot.
export async function getAgents() {
  const [agents, accounts] = await Promise.all([get("/agents"), get("/account")]);
  const byAgent = Object.fromEntries(accounts.map((a) => [a.agent_id, account(a)]));
  return agents.map((a) => ({
    id: a.id, broker: a.broker, version: a.version, terminalConnected: a.terminal_connected,
    autoTrading: a.trade_allowed, lastError: a.last_error, lastSeen: a.last_seen_at, account: byAgent[a.id] || null,
  }));
}

export async function getTunnel() {
  const t = await get("/tunnel");
  return { state: t.state, publicUrl: t.public_url, reason: t.reason, since: t.since || null };
}

export async function getSettings() {
  const s = await get("/settings");
  return { dailyLossLimitPct: s.daily_loss_limit_pct, paused: !!s.trading_paused, updatedAt: s.updated_at,
    accountMaxExposurePct: s.account_max_exposure_pct ?? null, accountExposureBasis: s.account_exposure_basis || "margin",
    accountMaxOpenPositions: s.account_max_open_positions ?? null };
}
// The account-wide exposure caps (strategy controls): {maxExposurePct, basis, maxOpenPositions}; null removes a cap.
// Refusals name the API fields; the page shows them by these keys.
export const ACCOUNT_CAP_FIELDS = { maxExposurePct: "account_max_exposure_pct", basis: "account_exposure_basis",
  maxOpenPositions: "account_max_open_positions" };
export const setAccountCaps = (caps) => request("PATCH", "/settings", { account_max_exposure_pct: caps.maxExposurePct,
  account_exposure_basis: caps.basis, account_max_open_positions: caps.maxOpenPositions });
export const setPaused = (paused) => request("PATCH", "/settings", { trading_paused: paused });
export const setDailyLossLimit = (pct) => request("PATCH", "/settings", { daily_loss_limit_pct: pct });

// -- strategies ------------------------------------------------------------------------------------------
// Every editable strategy setting: API key, label, group, input kind, help. The form is built from this list.
export const STRATEGY_GROUPS = [
  { id: "general", title: "General" },
  { id: "routing", title: "Routing and agent" },
  { id: "volume", title: "Volume" },
  { id: "levels", title: "SL/TP and entry units" },
  { id: "symbols", title: "Symbols" },
  { id: "limits", title: "Limits and filters" },
  { id: "exits", title: "Halt and exits" },
  { id: "auth", title: "Sender authentication" },
  { id: "ownership", title: "Shared positions (netting) and pyramiding" },
  { id: "flow", title: "Approval and several accounts" },
  { id: "takeprofits", title: "Take-profit levels" },
];
const UNIT_OPTIONS = [["pips", "pips"], ["price", "price"], ["pct", "percent"]];
export const STRATEGY_FIELDS = [
  { key: "name", label: "Name", group: "general", kind: "text", required: true },
  { key: "is_enabled", label: "Enabled", group: "general", kind: "bool", help: "Off: its alerts are logged as discarded." },
  { key: "agent_id", label: "Agent (MT5 terminal)", group: "routing", kind: "text",
    help: "The id of the agent that trades this strategy (\"default\" is the one tvbridge starts)." },
  { key: "license_id", label: "PineConnector License ID", group: "routing", kind: "text", nullable: true,
    help: "When set, PineConnector alerts with another License ID are refused." },
  { key: "alert_secret", label: "Alert secret", group: "routing", kind: "text", nullable: true,
    help: "When set, alerts must carry secret=<this>. The universal URL also routes by it (JSON secret or api_sec)." },
  { key: "dialects", label: "Extra alert formats", group: "routing", kind: "list",
    help: "Comma-separated: tradesgnl, tradingview_default." },
  { key: "volume_type", label: "Volume type (risk=)", group: "volume", kind: "select",
    options: [["lots", "lots"], ["money_loss", "money lost at the SL"], ["pct_balance_lots", "% of balance (lots)"],
      ["pct_balance_margin", "% of balance as margin"], ["pct_balance_loss", "% of balance lost at the SL"]],
    help: "How PineConnector's risk= is read." },
  { key: "default_volume", label: "Default volume (lots)", group: "volume", kind: "number", nullable: true,
    help: "Used when an alert names no volume. Empty: alerts must name one." },
  { key: "max_lots", label: "Lot cap", group: "volume", kind: "number", nullable: true,
    help: "An order above this is refused, or sent at the cap (Strategy controls: Above the lot cap)." },
  { key: "risk_override_pct", label: "Risk override (%)", group: "volume", kind: "number", nullable: true },
  { key: "target_type", label: "SL/TP unit (sl=, tp=)", group: "levels", kind: "select", options: UNIT_OPTIONS },
  { key: "entry_type", label: "Pending entry unit (price=)", group: "levels", kind: "select", options: UNIT_OPTIONS },
  { key: "pip_sizes", label: "Pip sizes", group: "levels", kind: "numbermap",
    help: "One per line: SYMBOL=pip size, e.g. XAUUSD=0.1. Empty: from the symbol's digits." },
  { key: "symbol_map", label: "Symbol map", group: "symbols", kind: "map",
    help: "One per line: TradingView symbol=broker symbol, e.g. NAS100=USTEC." },
  { key: "symbol_suffix", label: "Symbol suffix", group: "symbols", kind: "text", nullable: true,
    help: "Added to every symbol, e.g. .m or -ECN." },
  { key: "default_symbol", label: "Default symbol", group: "symbols", kind: "text", nullable: true,
    help: "For alerts that name no symbol." },
  { key: "allowed_pairs", label: "Allowed symbols", group: "symbols", kind: "list",
    help: "Comma-separated. Empty: every symbol is allowed." },
  { key: "max_signal_age_seconds", label: "Max signal age (s)", group: "limits", kind: "int",
    help: "Older alerts are refused; jobs not taken in time expire." },
  { key: "dedup_window_seconds", label: "Duplicate window (s)", group: "limits", kind: "int",
    help: "An identical message within this window is a duplicate. 0: off." },
  { key: "max_open_positions", label: "Max open positions", group: "limits", kind: "int", nullable: true },
  { key: "max_trades_per_day", label: "Max trades per day", group: "limits", kind: "int", nullable: true },
  { key: "rate_limit_per_second", label: "Rate limit (alerts a second)", group: "limits", kind: "int",
    help: "Further alerts within a second are logged as discarded, with the reason. Default 50." },
  { key: "rate_limit_per_minute", label: "Rate limit (alerts a minute)", group: "limits", kind: "int",
    help: "Further alerts within a minute are logged as discarded. Default 600." },
  { key: "signing_secret", label: "Signing secret (HMAC)", group: "auth", kind: "secret", writeOnly: true,
    setKey: "signing_secret_set",
    help: "For senders that can sign (not TradingView): alerts then need a valid X-TVBridge-Signature header. "
      + "Write-only: type a new one (16+ characters) to replace it, or use Generate." },
  { key: "trading_halted", label: "Entries halted (eaoff)", group: "exits", kind: "bool",
    help: "Set by an eaoff alert, cleared by eaon. While on, new entries are discarded; closes still run." },
  { key: "max_hold_minutes", label: "Max hold time (minutes)", group: "exits", kind: "int", nullable: true,
    help: "tvbridge closes the strategy's position this long after it opened. Empty: no limit." },
  { key: "flat_at", label: "Flat every day at (HH:MM)", group: "exits", kind: "text", nullable: true,
    help: "tvbridge closes the strategy's positions opened before this time, every day. Empty: never." },
  { key: "trading_session", label: "Trading session (HH:MM-HH:MM)", group: "exits", kind: "text", nullable: true,
    help: "Entries outside it are discarded; closes always run. 22:00-06:00 crosses midnight. Empty: always." },
  { key: "rules_timezone", label: "Time zone of these times", group: "exits", kind: "text",
    help: "An IANA name such as Europe/London or America/New_York (UTC by default)." },
  { key: "netting_against_others", label: "Netting against others", group: "ownership", kind: "select",
    options: [["refuse", "refuse (only its own share)"], ["strategies", "allow against other strategies"],
      ["anyone", "allow against anyone, manual trades too"]],
    help: "On a netting account one position per symbol is shared: may an entry reduce someone else's share?" },
  { key: "shared_stops", label: "SL/TP of a shared position", group: "ownership", kind: "select",
    options: [["refuse", "refuse to change them"], ["allow", "allow (they move for everyone)"]],
    help: "On a netting account the SL/TP belong to everyone holding the position." },
  { key: "max_entries_per_direction", label: "Max entries per direction", group: "ownership", kind: "int",
    nullable: true, help: "Pyramiding: entries on one side of a symbol while the strategy holds it. Empty: no limit." },
  { key: "close_opposite_first", label: "Close the opposite side before opening", group: "ownership", kind: "bool",
    help: "Hedging accounts: an entry first closes the strategy's positions of the other side." },
  // -- issue 13 `flow` --
  { key: "require_approval", label: "Ask me before trading", group: "flow", kind: "bool",
    help: "Alerts wait as awaiting approval until you approve or reject them (home page, tray, CLI); unapproved after the max signal age they expire." },
  { key: "accounts", label: "Also trade on these agents", group: "flow", kind: "accounts",
    help: "One per line: agent id=volume multiplier, e.g. prop-firm=0.5. The agent above stays the main account (multiplier 1)." },
  { key: "tp_split", label: "Default split of TP1, TP2, TP3 (%)", group: "takeprofits", kind: "numberlist",
    help: "Shares of the volume for alerts with tp1=, tp2=, tp3= and no shares, e.g. 50, 30, 20 (normalised to "
      + "100 %). Empty: equal shares." },
];

// Strategy controls (issue 13, ctl): one fieldset of the strategy editor, and the defaults of a new strategy.
const CONTROL_GROUP = { id: "controls", title: "Strategy controls" };
const CONTROL_FIELDS = [
  { key: "timeframes", label: "Timeframes", group: "controls", kind: "list",
    help: "Comma-separated, e.g. 15, 60, 4H, D (stored as 15m, 1h, 4h, 1D). Entries from other charts are refused; "
      + "exits always run. Empty: every timeframe." },
  { key: "risk_multiplier", label: "Risk multiplier", group: "controls", kind: "number",
    help: "Every entry volume is multiplied by this, then rounded down to the volume step (0.01 to 100; 1: as sent)." },
  { key: "dedup_by", label: "Duplicates by", group: "controls", kind: "select",
    options: [["body", "identical message"], ["meaning", "same symbol, direction and timeframe"]],
    help: "Within the duplicate window. By meaning, a second entry with another price or comment is a duplicate." },
  { key: "max_lots_mode", label: "Above the lot cap", group: "controls", kind: "select",
    options: [["refuse", "refuse the order"], ["cap", "send the lot cap instead (and say so)"]] },
  { key: "max_exposure_pct", label: "Exposure cap (% of equity)", group: "controls", kind: "number", nullable: true,
    help: "The strategy's positions plus an entry may hold at most this. Exits always run. Empty: no cap." },
  { key: "exposure_basis", label: "Exposure measured as", group: "controls", kind: "select",
    options: [["margin", "margin"], ["notional", "notional value (volume x contract x price)"]] },
];
export const CONTROL_DEFAULTS = {
  timeframes: [], risk_multiplier: 1, dedup_by: "body", max_lots_mode: "refuse", max_exposure_pct: null,
  exposure_basis: "margin",
};
STRATEGY_GROUPS.push(CONTROL_GROUP);
STRATEGY_FIELDS.push(...CONTROL_FIELDS);

function strategy(s) {
  const settings = {};
  // A write-only setting is never read back: its view value says only whether one is set.
  for (const f of STRATEGY_FIELDS) settings[f.key] = f.writeOnly ? { set: !!s[f.setKey] } : s[f.key];
  return {
    id: s.strategy_id ?? s.id, name: s.name, enabled: !!s.is_enabled, signalCount: s.signal_count ?? null,
    webhookUrl: s.webhook_url, magic: s.magic_number, agentId: s.agent_id, licenseId: s.license_id,
    halted: !!s.trading_halted, createdAt: s.created_at, settings,
  };
}

export const listStrategies = async () => (await get("/strategies")).map(strategy);
export const getStrategy = async (id) => strategy(await get(`/strategies/${id}`));
export const createStrategy = async (settings) => strategy(await request("POST", "/strategies", settings));
export const updateStrategy = async (id, settings) => strategy(await request("PATCH", `/strategies/${id}`, settings));
export const setStrategyEnabled = (id, enabled) => updateStrategy(id, { is_enabled: enabled });
export const deleteStrategy = (id) => request("DELETE", `/strategies/${id}`);
export const rotateSecret = async (id) => strategy(await request("POST", `/strategies/${id}/rotate-secret`));

// -- alerts: parse and test ----------------------------------------------------------------------------
export async function parseAlert(strategyId, message) {
  const p = await request("POST", `/strategies/${strategyId}/parse`, { message });
  return { accepted: p.accepted, format: p.format, symbol: p.symbol, words: p.words || [], refusal: p.refusal,
    warnings: p.warnings || [] };
}
// What the alert would do now: parsed intent plus the orders the agent's planner would send (nothing is sent).
export async function dryRunAlert(strategyId, message) {
  const r = await request("POST", `/strategies/${strategyId}/dry-run`, { message });
  const p = r.parse || {};
  return {
    agentId: r.agent_id, planned: r.planned, outcome: r.outcome, sentence: r.sentence, notes: r.notes || [],
    words: p.words || [], format: p.format, accepted: p.accepted, warnings: p.warnings || [],
    orders: (r.orders || []).map((o) => ({
      description: o.description, type: o.type, symbol: o.symbol, volume: o.volume, price: o.price, sl: o.sl,
      tp: o.tp, position: o.position_ticket,
    })),
  };
}
export async function sendTestAlert(strategyId, message) {
  const r = await request("POST", `/strategies/${strategyId}/test-alert`, { message });
  return { signalId: r.signal_id, status: r.status };
}

// -- signals ------------------------------------------------------------------------------------------
function signal(s) {
  const t = s.timings || {};
  return {
    id: s.id, strategyId: s.strategy_id, strategyName: s.strategy_name, symbol: s.symbol, action: s.action,
    volume: s.volume, status: s.status, fillPrice: s.fill_price, orderTicket: s.order_ticket,
    reason: s.error_message, notes: s.notes || [], raw: s.raw_payload, contentType: s.content_type,
    createdAt: s.created_at, resolvedAt: s.resolved_at, orders: s.orders || [],
    accounts: (s.accounts || []).map((a) => ({
      agentId: a.agent_id, multiplier: a.volume_multiplier, status: a.status, reason: a.error_message,
      fillPrice: a.fill_price, orderTicket: a.order_ticket, orders: a.orders || [],
    })),
    timings: { receivedAt: t.received_at, ackedAt: t.acked_at, sentAt: t.sent_at, filledAt: t.filled_at,
      ackMs: t.ack_ms, sendMs: t.send_ms, fillMs: t.fill_ms },
  };
}

// filters: {strategyId, status, symbol, search, since, until (ISO strings)}; answers one page and whether an
// older page exists (asks for one more row than it shows).
export async function listSignals(filters = {}, limit = 50, offset = 0) {
  const rows = await get("/signals" + query({
    strategy_id: filters.strategyId, status: filters.status, symbol: filters.symbol, q: filters.search,
    since: filters.since, until: filters.until, limit: limit + 1, offset,
  }));
  return { items: rows.slice(0, limit).map(signal), hasMore: rows.length > limit };
}
export const getSignal = async (id) => signal(await get(`/signals/${id}`));
// Manual approval: the signals waiting for the trader, and the decision (409 sentence when it no longer waits).
export const listAwaiting = async () => (await get("/signals?status=awaiting_approval&limit=100")).map(signal);
export const approveSignal = async (id) => signal(await request("POST", `/signals/${id}/approve`, { via: "dashboard" }));
export const rejectSignal = async (id, reason) => signal(await request("POST", `/signals/${id}/reject`,
  reason ? { via: "dashboard", reason } : { via: "dashboard" }));
export async function explainSignal(id) {
  const e = await get(`/signals/${id}/explanation`);
  return {
    stage: e.stage, gate: e.gate, decidedBy: e.decided_by, intentWords: e.intent_words || [],
    orders: (e.orders || []).map((o) => ({
      description: o.description, symbol: o.symbol, type: o.type, volume: o.volume, price: o.price, sl: o.sl,
      tp: o.tp, ticket: o.order_ticket, deal: o.deal_ticket, retcode: o.retcode, retcodeName: o.retcode_name,
      retcodeSentence: o.retcode_sentence,
    })),
  };
}

// -- positions --------------------------------------------------------------------------------------------
// Open positions with the strategy that owns each (the server names it by magic number), null for manual
// trades. The answer is versioned: ``asOfSignal`` is the newest signal whose effect it shows.
export async function listPositions(strategies) {
  const held = await get("/positions");
  const owner = (p) => strategies.find((s) => s.id === p.strategy_id) || null;
  return held.positions.map((p) => ({
    ticket: p.ticket, symbol: p.symbol, type: p.type, volume: p.volume, priceOpen: p.price_open, sl: p.sl, tp: p.tp,
    profit: p.profit, magic: p.magic, comment: p.comment, agentId: p.agent_id, strategy: owner(p),
    positionVolume: p.position_volume ?? null,
  }));
}

// -- the trade ledger -----------------------------------------------------------------------------------
function trade(t) {
  return {
    id: t.id, strategyId: t.strategy_id, strategyName: t.strategy_name, symbol: t.symbol, side: t.side,
    volume: t.volume, remaining: t.remaining_volume, entryPrice: t.entry_price, exitPrice: t.exit_price,
    entryTime: t.entry_time, exitTime: t.exit_time, durationSeconds: t.duration_seconds, profit: t.profit,
    commission: t.commission, swap: t.swap, fee: t.fee, net: t.net_pnl, currency: t.currency, reason: t.exit_reason,
    login: t.login, agentId: t.agent_id, entrySignal: t.entry_signal_id, exitSignal: t.exit_signal_id,
  };
}

// Closed trades, newest exit first. filters: {strategyId, symbol, reason, since, until}.
export async function listTrades(filters = {}, limit = 100, offset = 0) {
  const page = await get("/trades" + query({
    strategy_id: filters.strategyId, symbol: filters.symbol, exit_reason: filters.reason, since: filters.since,
    until: filters.until, limit, offset,
  }));
  return { total: page.total, items: page.trades.map(trade) };
}

// Every trade the filters match (pages of 500), oldest exit first: the equity curve and the CSV export.
export async function allTrades(filters = {}, max = 5000) {
  const items = [];
  for (let offset = 0; offset < max; offset += 500) {
    const page = await listTrades(filters, 500, offset);
    items.push(...page.items);
    if (items.length >= page.total || !page.items.length) break;
  }
  return items.reverse();
}

export async function getStrategyStats(id) {
  const s = await get(`/strategies/${id}/stats`);
  return {
    strategyId: s.strategy_id, strategyName: s.strategy_name, currency: s.currency || "", trades: s.trades,
    wins: s.wins, losses: s.losses, winRate: s.win_rate_pct, net: s.net_pnl, gross: s.gross_pnl,
    costs: s.commission + s.swap + s.fee, grossProfit: s.gross_profit, grossLoss: s.gross_loss,
    profitFactor: s.profit_factor, averageWin: s.average_win, averageLoss: s.average_loss,
    maxDrawdown: s.max_drawdown, openLots: s.open_lots, expiredPending: s.expired_pending,
  };
}

// Trades the strategies' own signals did not close (SL, TP, stop-out, by hand, another strategy, exit rules).
export async function listEvents(filters = {}, limit = 20) {
  const page = await get("/events" + query({ strategy_id: filters.strategyId, signal_id: filters.signalId, limit }));
  return page.events.map((e) => ({
    id: e.id, kind: e.kind, title: e.title, message: e.message, strategyName: e.strategy_name, signalId: e.signal_id,
    symbol: e.symbol, net: e.net_pnl, currency: e.currency, time: e.time,
  }));
}

// -- security: refused senders ------------------------------------------------------------------------------
function securityEvent(e) {
  return {
    id: e.id, kind: e.kind, words: e.words, minute: e.minute, count: e.count, firstAt: e.first_at, lastAt: e.last_at,
    source: e.source, endpoint: e.endpoint, fingerprint: e.fingerprint, strategyId: e.strategy_id,
    strategyName: e.strategy_name, detail: e.detail,
  };
}
// filters: {kind, source, strategyId}
export async function listSecurityEvents(filters = {}, limit = 100) {
  const rows = await get("/security/events" + query({
    kind: filters.kind, source: filters.source, strategy_id: filters.strategyId, limit,
  }));
  return rows.map(securityEvent);
}
export async function getSecuritySummary(hours = 24) {
  const s = await get("/security/summary" + query({ hours }));
  return {
    since: s.since, hours: s.hours, total: s.total, threshold: s.threshold, windowSeconds: s.window_seconds,
    retentionDays: s.retention_days,
    byKind: s.by_kind.map((k) => ({ kind: k.kind, words: k.words, count: k.count, lastAt: k.last_at })),
    alarms: s.alarms.map((a) => ({ kind: a.kind, count: a.count, at: a.at, message: a.message })),
  };
}

// -- notifications ---------------------------------------------------------------------------------------
function notifications(n) {
  return {
    targets: n.targets.map((t) => ({ position: t.position, service: t.service, known: t.known })),
    source: n.source, problem: n.problem,
    events: n.events.map((e) => ({ kind: e.kind, words: e.words, chosen: e.chosen })),
  };
}
export const getNotifications = async () => notifications(await get("/notifications"));
export const setNotifyEvents = async (kinds) => notifications(await request("PATCH", "/notifications", { events: kinds }));
// urls: the new list (replaces the saved one; [] removes them). Write-only: never read back.
export const setNotifyUrls = async (urls) => notifications(await request("PATCH", "/notifications", { urls }));
export async function sendTestNotification() {
  const r = await request("POST", "/notifications/test");
  return { sent: r.sent, failed: r.failed.map((f) => ({ target: f.target, reason: f.reason })), message: r.message };
}
