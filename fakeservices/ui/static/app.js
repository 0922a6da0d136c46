// fakeservices web UI: plain JavaScript, no build step, nothing loaded from elsewhere.
// Every URL is relative to this page (…/__admin/ui/), so a path prefix or a port mapping in
// front of the server keeps working. Lists load from the admin API and then follow
// /__admin/events (Server-Sent Events); nothing polls.
"use strict";

(() => {
  const ADMIN = new URL("../", document.baseURI);
  const ROOT = new URL("../../", document.baseURI);
  const MAX_ITEMS = 500;
  const PAGE = 1000;

  const state = {
    account: new URLSearchParams(location.search).get("account") || "",
    view: "inbox",
    lists: {},
    selected: {},
    filters: {},
    accounts: new Set(),
    stripeKind: "payment_intent",
    stripeKinds: {},
    source: null,
  };

  // -- helpers ------------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    el.append(...nodes(children));
    return el;
  }

  // Children as DOM nodes: arrays flattened, null/undefined/false skipped, the rest as text.
  function nodes(children) {
    return children.flat().filter((c) => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
  }

  function url(path, query) {
    const u = new URL(path, ADMIN);
    for (const [k, v] of query || []) if (v !== "" && v !== null && v !== undefined) u.searchParams.append(k, v);
    return u;
  }

  function scoped(query) {
    return state.account ? [...(query || []), ["account", state.account]] : query || [];
  }

  async function api(path, opts) {
    const o = opts || {};
    const init = { method: o.method || "GET", headers: { Accept: "application/json" } };
    if (o.body !== undefined) {
      init.body = JSON.stringify(o.body);
      init.headers["Content-Type"] = "application/json";
    }
    const r = await fetch(url(path, o.query), init);
    if (o.raw) {
      if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
      return r.text();
    }
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const msg = data && data.error ? data.error.message : `${r.status} ${r.statusText}`;
      const err = new Error(msg);
      err.status = r.status;
      throw err;
    }
    return data;
  }

  function showError(err) {
    const box = document.getElementById("error");
    if (!err) {
      box.hidden = true;
      return;
    }
    box.textContent = String(err.message || err);
    box.hidden = false;
  }

  function time(iso) {
    if (!iso) return "";
    const d = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
    return h("time", { datetime: d.toISOString(), title: d.toISOString() }, d.toLocaleTimeString());
  }

  function badge(text, kind) {
    return h("span", { class: `badge ${kind || ""}` }, text);
  }

  function statusKind(status) {
    const s = String(status);
    if (/^(delivered|succeeded|sent|paid|complete|2\d\d|enabled|active)$/.test(s)) return "ok";
    if (/^(failed|undelivered|canceled|expired|[45]\d\d|0|requires_payment_method)$/.test(s)) return "bad";
    return "warn";
  }

  function acctBadge(account) {
    return state.account || !account ? null : badge(account, "acct");
  }

  function meta(pairs) {
    const dl = h("dl", { class: "meta" });
    for (const [k, v] of pairs) {
      if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) continue;
      dl.append(h("dt", {}, k), h("dd", {}, Array.isArray(v) ? v.join(", ") : v));
    }
    return dl;
  }

  function pretty(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (_) {
      return text;
    }
  }

  function json(value) {
    return h("pre", {}, JSON.stringify(value, null, 2));
  }

  function subtabs(tabs, initial) {
    // tabs: [[label, () => Node]]; keyboard: buttons in a tablist.
    const bar = h("div", { class: "subtabs", role: "tablist" });
    const panel = h("div", { role: "tabpanel" });
    const buttons = tabs.map(([label, render], i) =>
      h("button", {
        type: "button", role: "tab", "aria-selected": i === initial ? "true" : "false",
        onclick: () => select(i),
      }, label));
    function select(i) {
      buttons.forEach((b, j) => b.setAttribute("aria-selected", i === j ? "true" : "false"));
      panel.replaceChildren(tabs[i][1]());
    }
    bar.append(...buttons);
    select(initial);
    return h("div", {}, bar, panel);
  }

  async function guarded(fn) {
    try {
      showError(null);
      await fn();
    } catch (err) {
      showError(err);
    }
  }

  // -- lists ----------------------------------------------------------------------------------
  // Each list: where it loads from, the event topic that feeds it, how a row and a detail look.
  const LISTS = {
    inbox: {
      path: "emails", query: [["view", "summary"]], topic: "email",
      text: (m) => [m.subject, m.from, ...(m.to || []), m.source, m.account].join(" "),
      row: (m) => [
        h("span", { class: "line1" },
          h("span", { class: "title" }, m.subject || "(no subject)"), time(m.received_at)),
        h("span", { class: "line2" }, badge(m.source), " ", acctBadge(m.account), " ",
          `${m.from || m.envelope_from || ""} → ${(m.to || []).join(", ") || (m.envelope_to || []).join(", ")}`),
      ],
      detail: emailDetail,
    },
    sms: {
      path: "sms", topic: "sms",
      text: (m) => [m.to, m.from, m.body, m.status, m.account].join(" "),
      row: (m) => [
        h("span", { class: "line1" },
          h("span", { class: "title" }, `${m.from || m.messaging_service_sid || ""} → ${m.to}`),
          badge(m.status, statusKind(m.status)), time(m.created_at)),
        h("span", { class: "line2" }, acctBadge(m.account), " ", m.body),
      ],
      detail: smsDetail,
    },
    webhooks: {
      path: "webhook-deliveries", topic: "webhook_delivery",
      text: (d) => [d.event, d.url, d.state, d.service, d.account].join(" "),
      row: (d) => [
        h("span", { class: "line1" }, h("span", { class: "title" }, d.event),
          badge(d.state, statusKind(d.state)), time(d.created_at)),
        h("span", { class: "line2" }, badge(d.service), " ", acctBadge(d.account), " ",
          `${d.attempts.length} attempt${d.attempts.length === 1 ? "" : "s"} → ${d.url}`),
      ],
      detail: deliveryDetail,
    },
    requests: {
      path: "requests", query: [["view", "summary"]], topic: "request",
      text: (e) => [e.service, e.method, e.path, e.status, e.account, e.fault ? "fault" : ""].join(" "),
      row: (e) => [
        h("span", { class: "line1" }, badge(e.status, statusKind(e.status)),
          h("span", { class: "title" }, `${e.method} ${e.path}`),
          e.fault ? badge(`fault: ${e.fault.type}`, "bad") : null, time(e.received_at)),
        h("span", { class: "line2" }, badge(e.service), " ", acctBadge(e.account), " ",
          `${e.duration_ms.toFixed(1)} ms`),
      ],
      detail: requestDetail,
    },
  };
  for (const name of Object.keys(LISTS)) state.lists[name] = new Map();
  const TOPICS = Object.fromEntries(Object.entries(LISTS).map(([name, l]) => [l.topic, name]));

  async function loadList(name) {
    const spec = LISTS[name];
    const items = new Map();
    let after = 0;
    for (let page = 0; page < 20; page++) {
      const query = scoped([...(spec.query || []), ["after", after], ["limit", PAGE]]);
      const data = await api(spec.path, { query });
      for (const item of data.data) items.set(item.id, item);
      after = data.next_after;
      if (!data.has_more) break;
    }
    // What the stream delivered while the pages were read is newer than the last page.
    for (const [id, item] of state.lists[name]) {
      const mine = !state.account || item.account === state.account;
      if (mine && !items.has(id) && item.seq > after) items.set(id, item);
    }
    trim(items);
    state.lists[name] = items;
    renderList(name);
  }

  function trim(items) {
    while (items.size > MAX_ITEMS) items.delete(items.keys().next().value);
  }

  function upsert(name, item) {
    const items = state.lists[name];
    if (!items) return;
    const isNew = !items.has(item.id);
    items.set(item.id, { ...(items.get(item.id) || {}), ...item });
    trim(items);
    scheduleRender(name, isNew ? item.id : null);
    if (state.selected[name] === item.id && name !== "inbox" && name !== "requests") {
      renderDetail(name, items.get(item.id));
    }
  }

  function remove(name, id) {
    const items = state.lists[name];
    if (!items || !items.delete(id)) return;
    if (state.selected[name] === id) {
      state.selected[name] = null;
      document.querySelector(`[data-detail="${name}"]`).replaceChildren();
    }
    scheduleRender(name);
  }

  const pending = {};
  function scheduleRender(name, fresh) {
    const p = pending[name] || (pending[name] = { fresh: new Set() });
    if (fresh) p.fresh.add(fresh);
    if (p.timer) return;
    p.timer = requestAnimationFrame(() => {
      delete pending[name];
      renderList(name, p.fresh);
    });
  }

  function sortedItems(name) {
    return [...state.lists[name].values()].sort((a, b) => b.seq - a.seq);
  }

  function renderList(name, fresh) {
    const spec = LISTS[name];
    const list = document.querySelector(`[data-list="${name}"]`);
    const focused = list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    const filter = (state.filters[name] || "").toLowerCase();
    const items = sortedItems(name).filter((it) => !filter || spec.text(it).toLowerCase().includes(filter));
    showRows(list, name, items.map((it) => [it.id, spec.row(it), fresh && fresh.has(it.id)]));
    document.querySelector(`[data-empty="${name}"]`).hidden = items.length > 0;
    setCount(name, state.lists[name].size);
    if (focused) {
      const again = list.querySelector(`[data-id="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  // The rows of a list: [id, content, fresh] in order. A row stays the same element, where it
  // is, while its item is listed; its content is updated in place. A row removed from the page
  // between a click's press and release loses the click (the browser moves it to the list), and
  // live updates (a webhook's retries, an SMS's status changes, Stripe's events) re-render a list
  // often enough for a person or a test to hit that.
  function showRows(list, name, rows) {
    const kept = new Map([...list.children].map((li) => [li.firstElementChild.dataset.id, li]));
    rows.forEach(([id, content, fresh], i) => {
      const li = kept.get(id) || h("li", {},
        h("button", { type: "button", "data-id": id, onclick: () => select(name, id) }));
      const button = li.firstElementChild;
      button.className = fresh ? "row new" : "row";
      if (state.selected[name] === id) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
      button.replaceChildren(...nodes([content]));
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    while (list.children.length > rows.length) list.lastElementChild.remove();
  }

  function setCount(name, n) {
    const el = document.querySelector(`[data-count="${name}"]`);
    if (el) el.textContent = n ? String(n) : "";
  }

  function select(name, id) {
    state.selected[name] = id;
    for (const b of document.querySelectorAll(`[data-list="${name}"] .row`)) {
      b.setAttribute("aria-current", b.dataset.id === id ? "true" : "false");
    }
    const item = name === "stripe" ? state.stripeItems.get(id) : state.lists[name].get(id);
    if (item) guarded(() => renderDetail(name, item));
  }

  async function renderDetail(name, item) {
    const pane = document.querySelector(`[data-detail="${name}"]`);
    const spec = name === "stripe" ? { detail: stripeDetail } : LISTS[name];
    const node = await spec.detail(item);
    const id = name === "stripe" ? item.resource.id : item.id;
    if (state.selected[name] === id) pane.replaceChildren(node);
  }

  // Arrow keys move between the rows of a list; Enter or Space (a button) opens one.
  function keyboard(list) {
    list.addEventListener("keydown", (ev) => {
      const rows = [...list.querySelectorAll(".row")];
      const i = rows.indexOf(document.activeElement);
      let next = null;
      if (ev.key === "ArrowDown") next = rows[Math.min(i + 1, rows.length - 1)];
      else if (ev.key === "ArrowUp") next = rows[Math.max(i - 1, 0)];
      else if (ev.key === "Home") next = rows[0];
      else if (ev.key === "End") next = rows[rows.length - 1];
      if (next) {
        ev.preventDefault();
        next.focus();
      }
    });
  }

  // -- details ----------------------------------------------------------------------------------
  async function emailDetail(head) {
    const m = await api(`emails/${encodeURIComponent(head.id)}`);
    const base = `emails/${encodeURIComponent(m.id)}`;
    const htmlTab = () => {
      const frame = h("iframe", {
        class: "mail", sandbox: "", referrerpolicy: "no-referrer",
        title: `HTML part of “${m.subject || ""}”`, src: url(`${base}/html`).href,
      });
      const toggle = h("input", {
        type: "checkbox", id: "remote-images",
        onchange: () => {
          frame.src = url(`${base}/html`, toggle.checked ? [["remote_images", "1"]] : []).href;
        },
      });
      return h("div", {},
        h("p", { class: "toggle" }, toggle, h("label", { for: "remote-images" }, "Load remote images"),
          h("span", { class: "muted" }, " (scripts and forms stay blocked)")),
        frame);
    };
    const headers = () => h("table", {}, h("tbody", {},
      Object.entries(m.headers || {}).flatMap(([k, vs]) => vs.map((v) => h("tr", {}, h("th", {}, k), h("td", {}, v))))));
    const raw = () => {
      const pre = h("pre", { "aria-label": "Raw message source" }, "Loading…");
      api(`${base}/raw`, { raw: true }).then((t) => { pre.textContent = t; }, (e) => { pre.textContent = String(e); });
      return pre;
    };
    const tabs = [];
    if (m.html !== null && m.html !== undefined) tabs.push(["HTML", htmlTab]);
    if (m.text !== null && m.text !== undefined) tabs.push(["Text", () => h("pre", {}, m.text)]);
    tabs.push(["Headers", headers], ["Raw source", raw]);
    return h("div", {},
      h("h3", {}, m.subject || "(no subject)"),
      meta([
        ["From", m.from], ["To", m.to], ["Cc", m.cc], ["Bcc", m.bcc], ["Reply-To", m.reply_to],
        ["Envelope", `${m.envelope_from || ""} → ${(m.envelope_to || []).join(", ")}`],
        ["Came through", badge(m.source)], ["Account", m.account], ["Received", m.received_at],
        ["Message-ID", m.message_id], ["Size", `${m.size} bytes`], ["Tags", m.tags],
      ]),
      m.parse_errors && m.parse_errors.length
        ? h("div", { class: "error", role: "note" }, h("strong", {}, "Parse errors: "), m.parse_errors.join("; "))
        : null,
      m.attachments && m.attachments.length
        ? h("div", {}, h("h4", {}, "Attachments"), h("ul", {}, m.attachments.map((a, n) => h("li", {},
          h("a", { href: url(`${base}/attachments/${n}`).href, download: a.filename || `attachment-${n}` },
            a.filename || `attachment ${n}`),
          ` ${a.content_type}, ${a.size} bytes`, a.content_id ? ` (cid:${a.content_id})` : ""))))
        : null,
      subtabs(tabs, 0),
      h("div", { class: "actions" },
        h("button", {
          type: "button", class: "danger",
          onclick: () => guarded(async () => {
            await api(base, { method: "DELETE" });
            remove("inbox", m.id);
          }),
        }, "Delete this email")),
    );
  }

  function smsDetail(m) {
    return h("div", {},
      h("h3", {}, `${m.from || m.messaging_service_sid || ""} → ${m.to}`),
      meta([
        ["Status", badge(m.status, statusKind(m.status))], ["Segments", m.num_segments],
        ["Direction", m.direction], ["Price", m.price ? `${m.price} ${m.price_unit || ""}` : null],
        ["Error", m.error_code ? `${m.error_code} ${m.error_message || ""}` : null],
        ["SID", m.sid], ["Account", m.account], ["Created", m.created_at], ["Send at", m.send_at],
        ["Status callback", m.status_callback], ["Media", m.media_urls],
      ]),
      h("h4", {}, "Body"), h("pre", {}, m.body),
      h("h4", {}, "Status history"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Status"), h("th", {}, "At"))),
        h("tbody", {}, (m.status_history || []).map((s) => h("tr", {},
          h("td", {}, badge(s.status, statusKind(s.status))), h("td", {}, s.at))))),
      h("div", { class: "actions" },
        m.status === "scheduled" ? h("button", {
          type: "button", onclick: () => guarded(() => api(`sms/${encodeURIComponent(m.id)}/send-now`, { method: "POST" })),
        }, "Send now") : null,
        h("button", {
          type: "button", class: "danger",
          onclick: () => guarded(async () => {
            await api(`sms/${encodeURIComponent(m.id)}`, { method: "DELETE" });
            remove("sms", m.id);
          }),
        }, "Delete this message")),
    );
  }

  function deliveryDetail(d) {
    return h("div", {},
      h("h3", {}, d.event),
      meta([["State", badge(d.state, statusKind(d.state))], ["To", d.url], ["About", d.ref],
        ["Service", d.service], ["Account", d.account], ["Created", d.created_at]]),
      h("h4", {}, "Request"),
      h("table", {}, h("tbody", {}, Object.entries(d.headers || {}).map(([k, v]) =>
        h("tr", {}, h("th", {}, k), h("td", {}, v))))),
      h("pre", {}, pretty(d.body)),
      h("h4", {}, `Attempts (${d.attempts.length})`),
      h("table", {},
        h("thead", {}, h("tr", {}, ["#", "At", "Status", "ms", "Response or error"].map((t) => h("th", {}, t)))),
        h("tbody", {}, d.attempts.map((a, i) => h("tr", {},
          h("td", {}, i + 1), h("td", {}, a.at),
          h("td", {}, a.status === null ? badge("no answer", "bad") : badge(a.status, statusKind(a.status))),
          h("td", {}, a.duration_ms.toFixed(1)),
          h("td", {}, a.error || a.response || ""))))),
    );
  }

  async function requestDetail(head) {
    const e = await api(`requests/${encodeURIComponent(head.id)}`);
    return h("div", {},
      h("h3", {}, `${e.method} ${e.path}`),
      meta([["Status", badge(e.status, statusKind(e.status))], ["Service", e.service],
        ["Account", e.account], ["Query", e.query], ["Duration", `${e.duration_ms} ms`],
        ["Received", e.received_at],
        ["Fault", e.fault ? badge(`${e.fault.type} (${e.fault.id})`, "bad") : null]]),
      h("h4", {}, `Request body${e.request_truncated ? " (truncated)" : ""}`),
      h("pre", {}, pretty(e.request_body) || "(empty)"),
      h("h4", {}, `Response body${e.response_truncated ? " (truncated)" : ""}`),
      h("pre", {}, pretty(e.response_body) || "(empty)"),
      Object.keys(e.detail || {}).length ? [h("h4", {}, "Detail"), json(e.detail)] : null,
    );
  }

  // -- Stripe ------------------------------------------------------------------------------------
  state.stripeItems = new Map();
  const STRIPE_EVENTS = "event";

  async function loadStripe() {
    const kinds = await api("stripe/objects", { query: scoped([["limit", 1]]) });
    state.stripeKinds = kinds.kinds;
    const kindSelect = document.getElementById("stripe-kind");
    const names = Object.keys(kinds.kinds).sort();
    if (!names.includes(state.stripeKind) && state.stripeKind !== STRIPE_EVENTS) {
      state.stripeKind = names.includes("payment_intent") ? "payment_intent" : names[0] || STRIPE_EVENTS;
    }
    kindSelect.replaceChildren(
      ...names.map((k) => h("option", { value: k, selected: k === state.stripeKind }, `${k} (${kinds.kinds[k]})`)),
      h("option", { value: STRIPE_EVENTS, selected: state.stripeKind === STRIPE_EVENTS }, "Events"));
    let rows;
    if (state.stripeKind === STRIPE_EVENTS) {
      rows = [];
      let after = 0;
      for (let page = 0; page < 20; page++) {
        const data = await api("stripe/events", { query: scoped([["after", after], ["limit", PAGE]]) });
        rows.push(...data.data.map((e) => ({ account: e.account, resource: e })));
        after = data.next_after;
        if (!data.has_more) break;
      }
      rows = rows.slice(-MAX_ITEMS).reverse();
    } else {
      const data = await api("stripe/objects", {
        query: scoped([["object", state.stripeKind], ["limit", MAX_ITEMS]]),
      });
      rows = data.data;
    }
    state.stripeItems = new Map(rows.map((r) => [r.resource.id, r]));
    const list = document.querySelector('[data-list="stripe"]');
    showRows(list, "stripe", rows.map((r) => [r.resource.id, stripeRow(r), false]));
    document.querySelector('[data-empty="stripe"]').hidden = rows.length > 0;
    const chosen = state.selected.stripe && state.stripeItems.get(state.selected.stripe);
    if (chosen) renderDetail("stripe", chosen);
  }

  function money(o) {
    return typeof o.amount === "number" && o.currency
      ? `${(o.amount / 100).toFixed(2)} ${o.currency.toUpperCase()}` : null;
  }

  function stripeRow(r) {
    const o = r.resource;
    const title = o.object === "event" ? o.type : money(o) || o.email || o.name || o.url || o.id;
    const status = o.status || (o.object === "event" ? null : o.deleted ? "deleted" : null);
    return [
      h("span", { class: "line1" }, h("span", { class: "title" }, title),
        status ? badge(status, statusKind(status)) : null, time(o.created)),
      h("span", { class: "line2" }, acctBadge(r.account), " ",
        o.object === "event" ? `${o.data.object.id}` : o.id),
    ];
  }

  // Test cards the Checkout shortcut offers (POST /__admin/stripe/checkout/sessions/{id}/complete).
  const CHECKOUT_CARDS = [
    ["pm_card_visa", "Visa 4242 (succeeds)"],
    ["pm_card_visa_chargeDeclined", "Generic decline"],
    ["pm_card_visa_chargeDeclinedInsufficientFunds", "Insufficient funds"],
    ["pm_card_mastercard", "Mastercard (succeeds)"],
  ];

  function stripeDetail(r) {
    const o = r.resource;
    const actions = [];
    const intent = { payment_intent: "payment_intents", setup_intent: "setup_intents" }[o.object];
    if (intent && o.status === "requires_action") {
      const auth = (outcome) => guarded(async () => {
        const updated = await api(`stripe/${intent}/${encodeURIComponent(o.id)}/authenticate`, {
          method: "POST", query: [["account", r.account]], body: { outcome },
        });
        r.resource = updated;
        await loadStripe();
      });
      actions.push(
        h("button", { type: "button", class: "primary", onclick: () => auth("succeed") }, "Complete 3D Secure"),
        h("button", { type: "button", class: "danger", onclick: () => auth("fail") }, "Fail 3D Secure"));
    }
    if (o.object === "checkout.session" && o.status === "open") {
      // The choice lives in state: live updates re-render this pane while a person picks.
      const card = h("select", { name: "checkout-card",
        onchange: (ev) => { state.checkoutCard = ev.target.value; } },
        ...CHECKOUT_CARDS.map(([value, text]) => h("option", { value }, text)));
      card.value = state.checkoutCard || CHECKOUT_CARDS[0][0];
      const post = (verb, body) => guarded(async () => {
        const path = `stripe/checkout/sessions/${encodeURIComponent(o.id)}/${verb}`;
        r.resource = await api(path, { method: "POST", query: [["account", r.account]], body });
        await loadStripe();
      });
      actions.push(
        h("label", {}, "Test card ", card),
        h("button", { type: "button", class: "primary",
          onclick: () => post("complete", { payment_method: card.value }) }, "Complete checkout"),
        h("button", { type: "button", class: "danger", onclick: () => post("expire", {}) },
          "Expire checkout"));
      if (o.url) {
        actions.push(h("a", { href: o.url, target: "_blank", rel: "noopener" }, "Open the hosted page"));
      }
    }
    return h("div", {},
      h("h3", {}, o.object === "event" ? o.type : `${o.object} ${o.id}`),
      meta([["Account", r.account], ["Status", o.status ? badge(o.status, statusKind(o.status)) : null],
        ["Amount", money(o)], ["Created", o.created ? new Date(o.created * 1000).toISOString() : null],
        ["Object", o.object === "event" ? `${o.data.object.object} ${o.data.object.id}` : null]]),
      actions.length ? h("div", { class: "actions" }, actions) : null,
      json(o));
  }

  // -- faults ------------------------------------------------------------------------------------
  async function loadFaults() {
    const data = await api("faults", { query: scoped([]) });
    const list = document.querySelector('[data-list="faults"]');
    list.replaceChildren(...data.data.map((rule) => h("li", { class: "rule" },
      h("div", { class: "row", tabindex: "0", "data-id": rule.id },
        h("span", { class: "line1" },
          h("span", { class: "title" }, `${rule.service}: ${rule.action.type}${rule.action.status ? ` ${rule.action.status}` : ""}${rule.action.code ? ` ${rule.action.code}` : ""}${rule.action.type === "rate_limit" ? ` ${rule.action.limit} per ${rule.action.per_seconds} s` : ""}`),
          rule.expired ? badge("expired", "bad") : badge(`${rule.hits} hit${rule.hits === 1 ? "" : "s"}`, rule.hits ? "warn" : "")),
        h("span", { class: "line2" }, rule.id, " ",
          Object.entries(rule.match || {}).map(([k, v]) => `${k}=${v}`).join(" ") || "matches everything",
          rule.remaining !== null ? `, ${rule.remaining} left` : "")),
      h("div", { class: "actions" }, h("button", {
        type: "button", class: "danger", "aria-label": `Remove rule ${rule.id}`,
        onclick: () => guarded(async () => {
          await api(`faults/${encodeURIComponent(rule.id)}`, { method: "DELETE" });
          await loadFaults();
        }),
      }, "Remove")))));
    document.querySelector('[data-empty="faults"]').hidden = data.data.length > 0;
    document.getElementById("faults-fired").textContent = `${data.fired} fired since start`;
    setCount("faults", data.data.length);
  }

  const STAGED = ["smtp_reply", "delay", "timeout", "drop", "rate_limit"];

  function faultFormFields() {
    const form = document.getElementById("fault-form");
    const type = form.elements.action.value;
    for (const label of form.querySelectorAll("[data-for]")) {
      label.hidden = !label.dataset.for.split(" ").includes(type);
    }
  }

  async function submitFault(ev) {
    ev.preventDefault();
    const f = ev.target.elements;
    const type = f.action.value;
    const action = { type };
    if (type === "error") action.status = Number(f.status.value);
    if (type === "delay") action.ms = Number(f.ms.value);
    if (type === "smtp_reply") {
      action.code = Number(f.code.value);
      if (f.enhanced.value) action.enhanced = f.enhanced.value;
      if (f.message.value) action.message = f.message.value;
    }
    if (type === "rate_limit") {
      action.limit = Number(f.limit.value);
      action.per_seconds = Number(f.per_seconds.value);
      action.smtp_code = Number(f.smtp_code.value);
      if (f.per_sender.checked) action.per_sender = true;
    }
    if (STAGED.includes(type) && f.stage.value) action.stage = f.stage.value;
    const match = {};
    for (const k of ["account", "method", "path", "to", "from"]) if (f[k].value) match[k] = f[k].value;
    const rule = { service: f.service.value, match, action, after: Number(f.after.value || 0),
      probability: Number(f.probability.value || 1) };
    if (f.times.value) rule.times = Number(f.times.value);
    const box = document.getElementById("fault-error");
    try {
      await api("faults", { method: "POST", body: rule });
      box.hidden = true;
      await loadFaults();
    } catch (err) {
      box.textContent = err.message;
      box.hidden = false;
    }
  }

  // -- setup ---------------------------------------------------------------------------------------
  async function loadSetup() {
    const r = await fetch(ROOT, { headers: { Accept: "application/json" } });
    const index = await r.json();
    const box = document.getElementById("setup");
    box.replaceChildren(
      h("p", {}, "HTTP fakes and the admin API at ", h("code", {}, index.base_url), "; SMTP at ",
        h("code", {}, index.smtp.url), "."),
      h("p", { class: "muted" }, "The credential is the tenant: every Stripe key, Twilio Account SID, email API key and SMTP user is its own account. Pick one above to see only its data."),
      ...index.fakes.map((fake) => h("div", {}, h("h3", {}, fake.title),
        h("table", {}, h("tbody", {}, Object.entries(fake.sdks).map(([sdk, how]) =>
          h("tr", {}, h("th", {}, sdk), h("td", {}, h("code", {}, how)))))))),
      h("h3", {}, "Admin API"),
      h("ul", {}, Object.entries(index.admin).map(([name, link]) => h("li", {},
        `${name}: `, h("a", { href: new URL(new URL(link).pathname.replace(/^\//, ""), ROOT).href }, new URL(link).pathname)))),
    );
  }

  // -- accounts --------------------------------------------------------------------------------------
  async function loadAccounts() {
    const data = await api("accounts");
    for (const a of data.data) state.accounts.add(a.account);
    if (state.account) state.accounts.add(state.account);
    renderAccounts();
  }

  function renderAccounts() {
    const accountSelect = document.getElementById("account");
    const label = (a) => (a === "default" ? "default (SMTP without AUTH)" : a);
    accountSelect.replaceChildren(h("option", { value: "" }, "All accounts"),
      ...[...state.accounts].sort().map((a) => h("option", { value: a, selected: a === state.account }, label(a))));
  }

  function sawAccount(account) {
    if (account && !state.accounts.has(account)) {
      state.accounts.add(account);
      renderAccounts();
    }
  }

  // -- live ------------------------------------------------------------------------------------------
  const debounced = {};
  function later(key, fn) {
    clearTimeout(debounced[key]);
    debounced[key] = setTimeout(() => guarded(fn), 150);
  }

  function connect() {
    if (state.source) state.source.close();
    const live = document.getElementById("live");
    const source = new EventSource(url("events", scoped([])));
    state.source = source;
    source.addEventListener("open", () => {
      live.textContent = "live";
      live.className = "live on";
    });
    source.addEventListener("error", () => {
      live.textContent = "reconnecting";
      live.className = "live off";
    });
    const on = (kind, fn) => source.addEventListener(kind, (ev) => fn(JSON.parse(ev.data)));
    for (const [topic, name] of Object.entries(TOPICS)) {
      const take = (c) => {
        sawAccount(c.account);
        if (c.data) upsert(name, c.data);
      };
      on(`${topic}.stored`, take);
      on(`${topic}.updated`, take);
      on(`${topic}.deleted`, (c) => remove(name, c.id));
      on(`${topic}.evicted`, (c) => remove(name, c.id));
    }
    on("stripe_event.stored", (c) => {
      sawAccount(c.account);
      later("stripe", loadStripe);
    });
    for (const k of ["fault.added", "fault.removed", "fault.fired"]) on(k, () => later("faults", loadFaults));
    on("reset", () => later("all", loadAll));
  }

  async function loadAll() {
    await Promise.all([...Object.keys(LISTS).map(loadList), loadStripe(), loadFaults(), loadAccounts()]);
  }

  // -- navigation ----------------------------------------------------------------------------------
  function show(view) {
    state.view = document.getElementById(`view-${view}`) ? view : "inbox";
    for (const section of document.querySelectorAll(".view")) section.hidden = section.dataset.view !== state.view;
    for (const a of document.querySelectorAll(".tabs a")) {
      if (a.dataset.view === state.view) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    if (state.view === "setup") guarded(loadSetup);
  }

  function init() {
    document.querySelectorAll(".list").forEach(keyboard);
    for (const input of document.querySelectorAll("[data-filter]")) {
      input.addEventListener("input", () => {
        state.filters[input.dataset.filter] = input.value;
        renderList(input.dataset.filter);
      });
    }
    for (const button of document.querySelectorAll("[data-delete-all]")) {
      button.addEventListener("click", () => guarded(async () => {
        const name = button.dataset.deleteAll;
        const who = state.account ? `of ${state.account}` : "of every account";
        if (!confirm(`Delete every ${name === "inbox" ? "email" : "SMS"} ${who}?`)) return;
        await api(LISTS[name].path, { method: "DELETE", query: scoped([]) });
        await loadList(name);
      }));
    }
    document.getElementById("faults-delete-all").addEventListener("click", () => guarded(async () => {
      if (!confirm("Delete every fault rule" + (state.account ? ` of ${state.account}?` : "?"))) return;
      await api("faults", { method: "DELETE", query: scoped([]) });
      await loadFaults();
    }));
    document.getElementById("reset").addEventListener("click", () => guarded(async () => {
      const what = state.account ? `everything of account ${state.account}` : "everything (all accounts)";
      if (!confirm(`Reset ${what}?`)) return;
      await api("reset", { method: "POST", query: scoped([]) });
      await loadAll();
    }));
    document.getElementById("account").addEventListener("change", (ev) => {
      state.account = ev.target.value;
      const u = new URL(location.href);
      if (state.account) u.searchParams.set("account", state.account);
      else u.searchParams.delete("account");
      history.replaceState(null, "", u);
      state.selected = {};
      for (const name of Object.keys(LISTS)) state.lists[name] = new Map();
      document.querySelectorAll(".detail[data-detail]").forEach((d) => d.replaceChildren());
      connect();
      guarded(loadAll);
    });
    document.getElementById("stripe-kind").addEventListener("change", (ev) => {
      state.stripeKind = ev.target.value;
      state.selected.stripe = null;
      document.querySelector('[data-detail="stripe"]').replaceChildren();
      guarded(loadStripe);
    });
    const form = document.getElementById("fault-form");
    form.elements.action.addEventListener("change", faultFormFields);
    form.addEventListener("submit", submitFault);
    faultFormFields();
    window.addEventListener("hashchange", () => show(location.hash.slice(1)));
    show(location.hash.slice(1) || "inbox");
    renderAccounts();
    connect();
    guarded(loadAll);
  }

  init();
})();
