// Numbers, money, times and durations as a trader reads them. Pure functions, no API field names.

export function money(value, currency = "") {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const s = Number(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return currency ? `${s} ${currency}` : s;
}

export function signedMoney(value, currency = "") {
  if (value === null || value === undefined) return "—";
  const s = money(Math.abs(value), currency);
  return value > 0 ? `+${s}` : value < 0 ? `−${s}` : s;
}

export function num(value, maxDigits = 5) {
  if (value === null || value === undefined || value === "") return "—";
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: maxDigits, useGrouping: false });
}

export function price(value) { return value ? num(value, 6) : "—"; }

export function lots(value) { return value === null || value === undefined ? "—" : num(value, 2); }

const pad = (n) => String(n).padStart(2, "0");

// Local time: "14:03:22" today, "Mar 4 14:03" otherwise.
export function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const now = new Date();
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return hms;
  return `${d.toLocaleString("en-US", { month: "short" })} ${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function ms(value) {
  if (value === null || value === undefined) return "—";
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

// "buy_limit" -> "buy limit", "close_long_short" -> "close long short"
export function words(code) { return code ? String(code).replace(/_/g, " ") : "—"; }

export function plural(n, one, many = one + "s") { return `${n} ${n === 1 ? one : many}`; }
