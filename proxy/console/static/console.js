// The operator's console: polls /console/api/overview, acts through /admin/accounts.
// Every value from the server goes into the page as text (prompts are user content).
"use strict";

const KEY = "gemini-proxy-admin-key";
const POLL_MS = 4000;
const openBatches = new Set();
const openCookieForms = new Set();
let access = null;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function headers() {
  const key = sessionStorage.getItem(KEY);
  return key ? { "X-Admin-Key": key } : {};
}

async function call(method, path, body) {
  const options = { method, headers: headers() };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error((data && data.detail) || `${method} ${path}: HTTP ${response.status}`);
  }
  return data;
}

function say(text, kind = "error") {
  const message = document.getElementById("message");
  message.textContent = text;
  message.className = kind;
  message.hidden = !text;
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

function ago(unixSeconds) {
  return unixSeconds ? `${age(Date.now() / 1000 - unixSeconds)} ago` : "never";
}

function cookieBody(form) {
  const data = Object.fromEntries(new FormData(form));
  if (data.cookies && data.cookies.trim()) return { cookies: data.cookies };
  const body = { secure_1psid: data.secure_1psid };
  if (data.secure_1psidts) body.secure_1psidts = data.secure_1psidts;
  return body;
}

async function act(what, promise) {
  try {
    await promise;
    say(what, "ok");
  } catch (error) {
    say(error.message);
  }
  await refresh();
}

function accountCard(account) {
  const name = account.name;
  const path = `/admin/accounts/${encodeURIComponent(name)}`;
  const rotation = account.rotation;
  const facts = el("dl", {},
    el("dt", {}, "reason"), el("dd", {}, account.reason || "—"),
    el("dt", {}, "since"), el("dd", {}, ago(account.since)),
    el("dt", {}, "cookie age"), el("dd", {}, age(account.cookie_age_seconds)),
    el("dt", {}, "last rotation"),
    el("dd", {}, rotation.last ? `${rotation.last}, ${ago(rotation.last_at)}` : "never",
      rotation.stalled ? el("strong", { class: "warn" }, " stalled") : null),
    el("dt", {}, "last good"), el("dd", {}, ago(account.last_good_at)),
  );
  if (account.cooldown_seconds_left) {
    facts.append(el("dt", {}, "back in"), el("dd", {}, age(account.cooldown_seconds_left)));
  }
  const card = el("article", { class: "card", "data-account": name },
    el("h3", {}, name, " ", el("span", { class: `state ${account.state}` }, account.state)),
    facts);
  if (access !== "admin") return card;
  const disabled = account.state === "disabled";
  const form = document.getElementById("cookie-form").content.firstElementChild.cloneNode(true);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(`${name}: cookies saved`, call("PUT", `${path}/cookies`, cookieBody(form)));
  });
  card.append(
    el("div", { class: "actions" },
      el("button", { onclick: () => act(`${name}: tested`, call("POST", `${path}/test`)) }, "Test"),
      el("button", {
        onclick: () => act(`${name}: ${disabled ? "enabled" : "disabled"}`,
          call("POST", `${path}/${disabled ? "enable" : "disable"}`)),
      }, disabled ? "Enable" : "Disable")),
    keptOpen(el("details", {}, el("summary", {}, "New cookies"), form), openCookieForms, name));
  return card;
}

function keptOpen(details, openSet, id, onOpen) {
  // Redraws replace the elements: remember which ones the operator opened. Opening one
  // (by hand or here) fires "toggle", which loads its content.
  details.open = openSet.has(id);
  details.addEventListener("toggle", () => {
    if (details.open) {
      openSet.add(id);
      if (onOpen) onOpen();
    } else {
      openSet.delete(id);
    }
  });
  return details;
}

function renderLimits(limits) {
  const body = document.querySelector("#limits tbody");
  body.replaceChildren(...limits.map((l) => el("tr", {},
    el("td", {}, l.account),
    el("td", {}, `${l.current_delay} s`),
    el("td", {}, `${l.requests_last_minute} / ${l.rpm_limit}`),
    el("td", {}, `${l.in_use} / ${l.max}`),
    el("td", {}, String(l.queued)))));
}

function progress(done, total) {
  const bar = el("progress", { max: String(total), value: String(done) });
  return el("span", { class: "progress" }, bar, ` ${done}/${total}`);
}

async function batchDetail(batchId, holder) {
  const report = await call("GET", `/console/api/batches/${encodeURIComponent(batchId)}`);
  const thumbs = report.results.map((r) => {
    const source = r.url || r.image;
    return source ? el("a", { href: source, target: "_blank", rel: "noopener" },
      el("img", { src: source, alt: r.task_id, loading: "lazy" })) : null;
  });
  const errors = report.errors.map((e) => el("li", {}, `${e.task_id}: ${e.error || "failed"}`));
  holder.replaceChildren(el("div", { class: "thumbs" }, thumbs),
    errors.length ? el("ul", { class: "errors" }, errors) : null);
}

function renderBatches(batches) {
  const holder = document.getElementById("batches");
  if (!batches.length) return holder.replaceChildren(el("p", { class: "muted" }, "No batch yet."));
  holder.replaceChildren(...batches.map((b) => {
    const detail = el("div", { class: "detail" });
    const box = el("details", { class: "batch", "data-batch": b.batch_id },
      el("summary", {}, el("code", {}, b.batch_id), " ",
        el("span", { class: `state ${b.status}` }, b.status), " ",
        progress(b.completed + b.failed + b.cancelled, b.total),
        b.failed ? el("span", { class: "warn" }, ` ${b.failed} failed`) : null),
      detail);
    return keptOpen(box, openBatches, b.batch_id,
      () => batchDetail(b.batch_id, detail).catch((error) => say(error.message)));
  }));
}

function watermarkText(outcome) {
  if (outcome.layout) return `removed ${outcome.layout} (score ${outcome.score})`;
  if (outcome.detected === false) return "none detected";
  return outcome.skipped ? `skipped: ${outcome.skipped}` : "not checked";
}

function renderImages(images) {
  const holder = document.getElementById("images");
  if (!images.length) return holder.replaceChildren(el("p", { class: "muted" }, "No image request yet."));
  holder.replaceChildren(...images.map((image) => el("article", { class: "image", "data-task": image.id },
    el("div", { class: "thumbs" }, image.urls.filter(Boolean).map((url) =>
      el("a", { href: url, target: "_blank", rel: "noopener" }, el("img", { src: url, alt: "", loading: "lazy" })))),
    el("div", {},
      el("p", { class: "prompt" }, image.prompt),
      el("p", { class: "muted" }, `${image.model || ""} · ${new Date(image.created_at).toLocaleString()} · `,
        el("span", { class: `state ${image.state}` }, image.state)),
      image.error ? el("p", { class: "warn" }, image.error) : null,
      el("ul", { class: "watermark" }, image.watermark.map((w) => el("li", {}, watermarkText(w))))))));
}

function render(overview) {
  access = overview.access;
  document.body.classList.toggle("admin", access === "admin");
  const health = overview.health;
  const pill = document.getElementById("health");
  pill.textContent = `${health.status} · ${health.accounts.ready}/${health.accounts.total} ready`;
  pill.className = `pill ${health.status}`;
  pill.title = health.reason || "";
  const badge = document.getElementById("access");
  badge.textContent = access === "admin" ? "admin" : "read-only";
  if (access !== "admin" && !overview.admin_api) {
    badge.title = "set auth.admin_key to manage accounts from here";
  }
  document.getElementById("accounts").replaceChildren(...overview.accounts.map(accountCard));
  renderLimits(overview.limits);
  renderBatches(overview.batches);
  renderImages(overview.images);
}

async function refresh() {
  try {
    render(await call("GET", "/console/api/overview"));
  } catch (error) {
    access = null;
    document.body.classList.remove("admin");
    document.getElementById("access").textContent = "locked";
    say(error.message);
  }
}

function busy() {
  // Never redraw under the operator's hands: a half-typed cookie would be lost.
  const focused = document.activeElement;
  return focused && focused.closest && focused.closest("form");
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("key");
    if (input.value) sessionStorage.setItem(KEY, input.value);
    input.value = "";
    say("");
    refresh();
  });
  document.getElementById("forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    say("");
    refresh();
  });
  const add = document.getElementById("add-form");
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = new FormData(add).get("name");
    act(`${name}: added`, call("POST", "/admin/accounts", { name, ...cookieBody(add) }).then(() => add.reset()));
  });
  refresh();
  setInterval(() => { if (!busy() && !document.hidden) refresh(); }, POLL_MS);
});
