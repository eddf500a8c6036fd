// Client-side addresses. The server serves the same page at each of these paths (server/dashboard/pages.py
// PAGE_PATHS); keep both lists in step.
import { useEffect, useState } from "./lib.js";

const ROUTES = [
  [/^\/$/, "home"],
  [/^\/sign-in$/, "signin"],
  [/^\/strategies$/, "strategies"],
  [/^\/strategies\/new$/, "strategy-new"],
  [/^\/strategies\/(\d+)$/, "strategy"],
  [/^\/alerts$/, "alerts"],
  [/^\/signals$/, "signals"],
  [/^\/signals\/(\d+)$/, "signal"],
  [/^\/trades$/, "trades"],
  [/^\/security$/, "security"],
  [/^\/settings$/, "settings"],
];

export function match(path) {
  for (const [re, name] of ROUTES) {
    const m = re.exec(path);
    if (m) return { name, id: m[1] ? Number(m[1]) : null };
  }
  return { name: "notfound", id: null };
}

export function navigate(to) {
  if (to === window.location.pathname + window.location.search) return;
  window.history.pushState(null, "", to);
  window.dispatchEvent(new Event("tvb:navigate"));
  window.scrollTo(0, 0);
}

export function useLocation() {
  const read = () => ({ path: window.location.pathname, search: window.location.search });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const update = () => setLoc(read());
    window.addEventListener("popstate", update);
    window.addEventListener("tvb:navigate", update);
    return () => { window.removeEventListener("popstate", update); window.removeEventListener("tvb:navigate", update); };
  }, []);
  return loc;
}

// Same-tab navigation for plain left clicks on our own links; the browser handles the rest (new tab ...).
export function onLinkClick(event) {
  const a = event.target.closest && event.target.closest("a[href^='/']");
  if (!a || a.target || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (a.getAttribute("href").startsWith("/docs") || a.getAttribute("href").startsWith("/api")) return;
  event.preventDefault();
  navigate(a.getAttribute("href"));
}
