// roadcam sign-in helper shared by the map and the review queue: keeps the bearer token
// (sessionStorage), adds it to every API call, and sends the user to /login on a 401.
"use strict";
(function () {
  const KEY = "roadcam.token";
  const USER = "roadcam.user";
  function token() { return sessionStorage.getItem(KEY); }
  function user() { try { return JSON.parse(sessionStorage.getItem(USER) || "null"); } catch (e) { return null; } }
  function toLogin() {
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`/login?next=${next}`);
  }
  async function authFetch(url, options = {}) {
    const headers = new Headers(options.headers || {});
    const t = token();
    if (t) headers.set("Authorization", `Bearer ${t}`);
    const r = await fetch(url, { ...options, headers });
    if (r.status === 401) { sessionStorage.removeItem(KEY); toLogin(); }
    return r;
  }
  async function imageInto(img, url) {
    const r = await authFetch(url);
    if (!r.ok) { img.hidden = true; return false; }
    if (img.dataset.objectUrl) URL.revokeObjectURL(img.dataset.objectUrl);
    img.dataset.objectUrl = URL.createObjectURL(await r.blob());
    img.src = img.dataset.objectUrl;
    img.hidden = false;
    return true;
  }
  async function signIn(username, password) {
    const body = new URLSearchParams({ username, password });
    const r = await fetch("/auth/token", { method: "POST", body });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(typeof data.detail === "string" ? data.detail : `${r.status}`);
    sessionStorage.setItem(KEY, data.access_token);
    sessionStorage.setItem(USER, JSON.stringify({ username: data.username, role: data.role }));
    return data;
  }
  async function signOut() {
    if (token()) await authFetch("/auth/logout", { method: "POST" }).catch(() => null);
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(USER);
    location.assign("/login");
  }
  function showUser(el) {
    const u = user();
    if (!el) return;
    el.textContent = u ? `${u.username} (${u.role}) ` : "";
    const out = document.createElement("button");
    out.type = "button";
    out.id = "sign-out";
    out.textContent = u ? "Sign out" : "Sign in";
    out.addEventListener("click", () => (u ? signOut() : toLogin()));
    el.appendChild(out);
  }
  window.roadcamAuth = { token, user, fetch: authFetch, imageInto, signIn, signOut, showUser, toLogin };
})();

// Links to files the API guards (exports, the hierarchy report) carry no bearer token when
// the browser follows them, so fetch them with the token and hand the browser the blob:
// a download for links with the `download` attribute, a new tab otherwise.
document.addEventListener("click", async (ev) => {
  const a = ev.target.closest && ev.target.closest("a[data-auth-link]");
  if (!a || !a.getAttribute("href")) return;
  ev.preventDefault();
  const r = await window.roadcamAuth.fetch(a.getAttribute("href"));
  if (!r.ok) { alert(`${a.textContent.trim()}: ${r.status}`); return; }
  const url = URL.createObjectURL(await r.blob());
  if (a.hasAttribute("download")) {
    const name = (r.headers.get("Content-Disposition") || "").match(/filename="?([^";]+)"?/);
    const tmp = Object.assign(document.createElement("a"), { href: url, download: name ? name[1] : "" });
    document.body.appendChild(tmp); tmp.click(); tmp.remove();
  } else {
    window.open(url, "_blank", "noopener");
  }
  setTimeout(() => URL.revokeObjectURL(url), 60000);
});
