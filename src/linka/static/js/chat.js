/* Linka agent app: live chat (docs/chat-protocol.md, the agent socket).
   - Rings: on every page, a `chat_ring` frame shows a panel with Accept / Decline; accepting opens /chats.
   - /chats (templates/chats/): lines, typing, seen marks and chat states arrive over window.linkaLive;
     the composer sends lines with a random key (pending until `chat_ack`), canned messages after
     "/shortcut" as in the ticket editor, typing signals at most every few seconds.
   No inline script anywhere (CSP): texts come translated in data attributes, the composer is an Alpine
   component registered here (the app uses Alpine's CSP build). */
(function () {
  "use strict";

  const live = window.linkaLive;
  if (!live) return;

  function parseTexts(element) {
    try { return JSON.parse(element?.dataset.texts || "{}"); } catch { return {}; }
  }

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
  }

  function make(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function randomKey() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /* ---- rings ------------------------------------------------------------------------------------ */
  const rings = new Map();  // chat id → {element, timer, expires}

  function ringArea() { return document.getElementById("chat-rings"); }

  function showRing(frame) {
    const area = ringArea();
    if (!area || rings.has(frame.chat)) return;
    const t = parseTexts(area);
    const expires = Date.parse(frame.expires_at) || Date.now() + 30000;
    const visitor = frame.visitor || t.visitor || "";
    const panel = make("section", "chat-ring");
    panel.dataset.ring = frame.chat;
    panel.setAttribute("aria-labelledby", `ring-title-${frame.chat}`);
    const title = make("h2", "", t.title);
    title.id = `ring-title-${frame.chat}`;
    const who = make("p", "ring-who");
    who.append(make("strong", "", visitor));
    if (frame.department) who.append(` · ${frame.department}`);
    panel.append(title, who);
    if (frame.text) panel.append(make("p", "ring-text", frame.text));
    const countdown = make("p", "muted small ring-countdown");
    countdown.dataset.countdown = "";
    const buttons = make("div", "row");
    const accept = make("button", "button primary", t.accept);
    accept.type = "button";
    accept.dataset.ringAccept = frame.chat;
    const decline = make("button", "button", t.decline);
    decline.type = "button";
    decline.dataset.ringDecline = frame.chat;
    buttons.append(accept, decline);
    const status = make("p", "ring-status small");
    status.setAttribute("role", "status");
    status.dataset.ringStatus = "";
    panel.append(countdown, buttons, status);
    area.append(panel);
    const tick = () => {
      const left = Math.max(0, Math.ceil((expires - Date.now()) / 1000));
      countdown.textContent = fill(t.seconds, { seconds: left });
      if (left <= 0) removeRing(frame.chat);
    };
    tick();
    rings.set(frame.chat, { element: panel, timer: setInterval(tick, 1000) });
    const announce = area.querySelector("[data-ring-announce]");
    if (announce) announce.textContent = fill(t.announce, { visitor, department: frame.department || "" });
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      const notice = new Notification(t.title || "Linka", { body: `${visitor}: ${frame.text || ""}`, tag: frame.chat });
      notice.onclick = () => { window.focus(); notice.close(); };
    }
    beep();
  }

  function beep() {
    try {  // a short tone; browsers may refuse before the first click, which is fine
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      const context = new Context();
      const tone = context.createOscillator();
      const volume = context.createGain();
      tone.frequency.value = 880;
      volume.gain.value = 0.05;
      tone.connect(volume).connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.2);
      tone.onended = () => context.close();
    } catch { /* no sound */ }
  }

  function ringStatus(chat, text, removeAfter) {
    const ring = rings.get(chat);
    if (!ring) return;
    const status = ring.element.querySelector("[data-ring-status]");
    if (status) status.textContent = text;
    ring.element.querySelectorAll("button").forEach((button) => { button.disabled = !!removeAfter; });
    if (removeAfter) setTimeout(() => removeRing(chat), removeAfter);
  }

  function removeRing(chat) {
    const ring = rings.get(chat);
    if (!ring) return;
    clearInterval(ring.timer);
    ring.element.remove();
    rings.delete(chat);
  }

  function endRing(frame) {
    const t = parseTexts(ringArea());
    if (frame.reason === "accepted") {
      removeRing(frame.chat);
      openChat(frame.chat);
    } else if (frame.reason === "taken" && rings.has(frame.chat)) {
      ringStatus(frame.chat, t.taken, 3000);
    } else {
      removeRing(frame.chat);
    }
  }

  document.addEventListener("click", (event) => {
    const accept = event.target.closest("[data-ring-accept]");
    const decline = event.target.closest("[data-ring-decline]");
    const t = parseTexts(ringArea());
    if (accept) {
      const chat = accept.dataset.ringAccept;
      if (live.send({ type: "chat_accept", chat })) {
        ringStatus(chat, t.accepting);
        rings.get(chat)?.element.querySelectorAll("button").forEach((button) => { button.disabled = true; });
      } else {
        ringStatus(chat, t.offline);
      }
    } else if (decline) {
      const chat = decline.dataset.ringDecline;
      live.send({ type: "chat_decline", chat });
      removeRing(chat);
    }
  });

  /* ---- the chats page ---------------------------------------------------------------------------- */
  const outbox = new Map();  // key → frame, until acknowledged (sent again after a reconnect)
  const typingTimers = new Map();

  function page() { return document.querySelector("[data-chats]"); }
  function pageTexts() { return parseTexts(page()); }
  function panelOf(chat) { return document.querySelector(`[data-chat-panels] > [data-chat="${CSS.escape(chat)}"]`); }
  function tabOf(chat) { return document.querySelector(`[data-chat-tab="${CSS.escape(chat)}"]`); }
  function linesOf(panel) { return panel.querySelector("[data-chat-lines]"); }

  function openChat(chat) {
    if (page() && panelOf(chat)) { select(chat); return; }
    if (page()) { addChat(chat, true); return; }
    location.assign(`/chats?chat=${encodeURIComponent(chat)}`);
  }

  function timeText(iso) {
    const root = page();
    const options = { hour: "2-digit", minute: "2-digit" };
    try {
      return new Intl.DateTimeFormat(root?.dataset.lang || document.body.dataset.lang, { ...options, timeZone: root?.dataset.timezone }).format(new Date(iso));
    } catch {
      return new Date(iso).toLocaleTimeString([], options);
    }
  }

  function systemText(message, texts) {
    if (!message.event) return message.text;
    const key = message.event === "ended" ? `ended_${(message.values || {}).by || "agent"}` : message.event;
    const template = (texts.events || {})[key];
    return template ? fill(template, message.values || {}) : message.text;
  }

  function lineElement(message, panel) {
    const texts = pageTexts();
    const time = make("time", "", timeText(message.at));
    time.dateTime = message.at;
    let li;
    if (message.kind === "system") {
      li = make("li", "chat-line system");
      const text = make("p", "system-line", `${systemText(message, texts)} `);
      text.append(time);
      li.append(text);
    } else if (message.kind === "form_field") {
      li = make("li", "chat-line form-field");
      li.append(make("p", "muted", message.text));
    } else {
      li = make("li", `chat-line ${message.author}`);
      const meta = make("div", "chat-meta");
      meta.append(make("strong", "", message.name || ""), " ", time);
      const body = make("p", "chat-text");
      if (message.file) {
        const link = make("a", "", message.file.name);
        link.href = `${message.file.url}?download=true`;
        link.setAttribute("download", "");
        body.append(link);
      } else {
        body.textContent = message.text;
      }
      li.append(meta, body);
      if (message.author === "agent") {
        const seen = make("span", "chat-seen", texts.seen);
        seen.dataset.seen = "";
        seen.hidden = message.seq > Number(panel.dataset.visitorSeen || 0);
        li.append(seen);
      }
    }
    li.dataset.seq = message.seq;
    li.dataset.author = message.author;
    if (message.key) li.dataset.key = message.key;
    return li;
  }

  function nearBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 80; }

  function place(list, element, stick) {
    list.append(element);
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function lastSeq(panel) {
    let seq = 0;
    panel.querySelectorAll("[data-chat-lines] [data-seq]").forEach((li) => { seq = Math.max(seq, Number(li.dataset.seq) || 0); });
    return seq;
  }

  function onMessage(frame) {
    const panel = panelOf(frame.chat);
    if (!panel) return;
    const message = frame.message;
    const list = linesOf(panel);
    const stick = nearBottom(list);
    const mine = message.key ? list.querySelector(`[data-key="${CSS.escape(message.key)}"]`) : null;
    if (mine) {
      const replacement = lineElement(message, panel);
      mine.replaceWith(replacement);
      outbox.delete(message.key);
    } else if (!list.querySelector(`[data-seq="${message.seq}"]`)) {
      place(list, lineElement(message, panel), stick);
    }
    if (message.author === "visitor") {
      hideTyping(panel);
      if (panel.hidden || document.hidden) tabOf(frame.chat)?.querySelector("[data-unread]")?.removeAttribute("hidden");
      markSeen(panel);
    }
    if (message.event === "ended" || message.event === "missed") setState(panel, "ended");
  }

  function onAck(frame) {
    outbox.delete(frame.key);
    const panel = panelOf(frame.chat);
    const li = panel && linesOf(panel).querySelector(`[data-key="${CSS.escape(frame.key)}"]`);
    if (!li) return;
    li.dataset.seq = frame.seq;
    li.classList.remove("pending", "failed");
    li.querySelector("[data-status]")?.remove();
  }

  function onError(frame) {
    if (rings.has(frame.chat)) {
      ringStatus(frame.chat, frame.code === "taken" ? parseTexts(ringArea()).taken : frame.message, 3000);
      return;
    }
    const panel = panelOf(frame.chat);
    if (!panel) return;
    const texts = pageTexts();
    const li = frame.key ? linesOf(panel).querySelector(`[data-key="${CSS.escape(frame.key)}"]`) : null;
    if (li) {
      outbox.delete(frame.key);
      li.classList.remove("pending");
      li.classList.add("failed");
      li.querySelector("[data-status]")?.remove();
      const status = make("span", "chat-status error", fill(texts.not_sent, { reason: frame.message }));
      status.dataset.status = "";
      status.setAttribute("role", "alert");
      const retry = make("button", "link-button", texts.retry);
      retry.type = "button";
      retry.dataset.retry = frame.key;
      retry.dataset.text = li.querySelector(".chat-text")?.textContent || "";
      status.append(" ", retry);
      li.append(status);
    } else if (frame.code === "chat_ended") {
      setState(panel, "ended");
    }
  }

  function hideTyping(panel) { const typing = panel.querySelector("[data-chat-typing]"); if (typing) typing.hidden = true; }

  function onTyping(frame) {
    const panel = panelOf(frame.chat);
    if (!panel) return;
    const typing = panel.querySelector("[data-chat-typing]");
    if (!typing) return;
    typing.hidden = !frame.typing;
    clearTimeout(typingTimers.get(frame.chat));
    if (frame.typing) typingTimers.set(frame.chat, setTimeout(() => { typing.hidden = true; }, 10000));
  }

  function onSeen(frame) {
    const panel = panelOf(frame.chat);
    if (!panel) return;
    panel.dataset.visitorSeen = frame.seq;
    panel.querySelectorAll('[data-chat-lines] [data-author="agent"][data-seq]').forEach((li) => {
      const mark = li.querySelector("[data-seen]");
      if (mark && Number(li.dataset.seq) <= frame.seq && !li.classList.contains("pending")) mark.hidden = false;
    });
  }

  function setState(panel, state, notMine) {
    const texts = pageTexts();
    panel.dataset.state = state;
    const label = panel.querySelector("[data-chat-state]");
    if (label) { label.textContent = (texts.states || {})[state] || state; label.className = `badge chat-state state-${state}`; }
    const tab = tabOf(panel.dataset.chat)?.querySelector("[data-chat-tab-state]");
    if (tab) tab.textContent = state === "active" && !notMine ? "" : (texts.states || {})[state] || "";
    const open = state === "active" && !notMine && panel.dataset.member === "true";
    const composer = panel.querySelector(".chat-composer");
    if (composer) composer.hidden = !open;
    const closed = panel.querySelector("[data-chat-closed]");
    if (closed) {
      closed.hidden = open;
      const text = closed.querySelector("[data-chat-closed-text]");
      if (text && !open) text.textContent = notMine && state === "active" ? texts.not_in_chat : texts.ended;
    }
    if (!open) panel.querySelectorAll(".chat-actions form:not([data-chat-end])").forEach((form) => { form.hidden = true; });
    if (state !== "active" && state !== "queued") panel.querySelectorAll("[data-chat-end]").forEach((form) => { form.hidden = true; });
  }

  function onState(frame) {
    const chat = frame.chat;
    const me = page()?.dataset.agentId;
    const inChat = (chat.participants || []).some((person) => person.id === me);
    const panel = panelOf(chat.id);
    if (!panel) {
      if (page() && inChat && chat.state === "active") addChat(chat.id, false);
      return;
    }
    const list = panel.querySelector("[data-chat-participants]");
    if (list && chat.participants) {
      list.replaceChildren(...chat.participants.map((person) => make("li", "", person.name)));
    }
    if (!inChat) panel.dataset.member = "false";
    setState(panel, chat.state, !inChat);
  }

  async function addChat(chat, selectIt) {
    const root = page();
    if (!root || panelOf(chat)) { if (selectIt) select(chat); return; }
    const response = await fetch(`/chats/${encodeURIComponent(chat)}/tab`, { headers: { "HX-Request": "true" } });
    if (!response.ok || panelOf(chat)) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const tab = template.content.querySelector("[role=tab]");
    const panel = template.content.querySelector("[role=tabpanel]");
    if (!tab || !panel) return;
    panel.hidden = true;
    root.querySelector("[data-chat-tabs]").append(tab);
    root.querySelector("[data-chat-panels]").append(panel);
    root.querySelector("[data-chats-empty]")?.setAttribute("hidden", "");
    const added = panelOf(chat);
    if (window.htmx) window.htmx.process(added);
    if (selectIt || !root.querySelector('[role=tab][aria-selected="true"]')) select(chat);
    else tabOf(chat)?.querySelector("[data-unread]")?.removeAttribute("hidden");
  }

  function select(chat, focusTab) {
    const root = page();
    if (!root) return;
    root.querySelectorAll("[data-chat-tab]").forEach((tab) => {
      const on = tab.dataset.chatTab === chat;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      if (on) tab.querySelector("[data-unread]")?.setAttribute("hidden", "");
      if (on && focusTab) tab.focus();
    });
    root.querySelectorAll("[data-chat-panels] > [data-chat]").forEach((panel) => { panel.hidden = panel.dataset.chat !== chat; });
    const panel = panelOf(chat);
    if (!panel) return;
    const list = linesOf(panel);
    list.scrollTop = list.scrollHeight;
    history.replaceState(null, "", `/chats?chat=${encodeURIComponent(chat)}`);
    markSeen(panel);
  }

  function markSeen(panel) {
    if (panel.hidden || document.hidden || panel.dataset.member !== "true" || panel.dataset.state !== "active") return;
    const seq = lastSeq(panel);
    if (seq > Number(panel.dataset.seenSent || 0) && live.send({ type: "chat_seen", chat: panel.dataset.chat, seq })) {
      panel.dataset.seenSent = seq;
    }
  }

  function send(chat, text) {
    const panel = panelOf(chat);
    if (!panel) return;
    const texts = pageTexts();
    const key = randomKey();
    const frame = { type: "chat_send", chat, key, text };
    const li = lineElement({ seq: 0, at: new Date().toISOString(), author: "agent", name: document.body.dataset.agent || "", kind: "text", text, key }, panel);
    li.classList.add("pending");
    li.removeAttribute("data-seq");
    li.querySelector("[data-seen]")?.setAttribute("hidden", "");
    const status = make("span", "chat-status muted", texts.sending);
    status.dataset.status = "";
    li.append(status);
    place(linesOf(panel), li, true);
    outbox.set(key, frame);
    if (!live.send(frame)) status.textContent = texts.offline;
  }

  async function catchUp(panel) {
    const response = await fetch(`/chats/${encodeURIComponent(panel.dataset.chat)}/lines?since=${lastSeq(panel)}`, { headers: { "HX-Request": "true" } });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const list = linesOf(panel);
    const stick = nearBottom(list);
    template.content.querySelectorAll("[data-seq]").forEach((li) => {
      const key = li.dataset.key;
      const pending = key ? list.querySelector(`[data-key="${CSS.escape(key)}"]`) : null;
      if (pending) { pending.replaceWith(li); outbox.delete(key); }
      else if (!list.querySelector(`[data-seq="${li.dataset.seq}"]`)) place(list, li, stick);
      if (li.dataset.author === "system" && /ended|missed/.test(li.className)) setState(panel, "ended");
    });
  }

  // After a reconnect: lines not yet acknowledged go again (the key makes a resend harmless), and
  // each open chat fetches what it missed.
  document.body.addEventListener("linka:resync", () => {
    for (const frame of outbox.values()) live.send(frame);
    document.querySelectorAll("[data-chat-panels] > [data-chat]").forEach((panel) => { catchUp(panel); });
  });

  document.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-chat-tab]");
    if (tab) { select(tab.dataset.chatTab); return; }
    const retry = event.target.closest("[data-retry]");
    if (retry) {
      const li = retry.closest("li");
      const panel = retry.closest("[data-chat]");
      const text = retry.dataset.text;
      li?.remove();
      if (panel && text) send(panel.dataset.chat, text);
      return;
    }
    const allow = event.target.closest("[data-notify-permission]");
    if (allow && "Notification" in window) {
      Notification.requestPermission().then(() => { allow.hidden = true; });
    }
  });

  // Tabs as the WAI-ARIA pattern: arrows, Home and End move between chats.
  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest?.("[data-chat-tab]");
    if (!tab) return;
    const tabs = [...document.querySelectorAll("[data-chat-tab]")];
    const index = tabs.indexOf(tab);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = tabs[(next + tabs.length) % tabs.length];
    select(target.dataset.chatTab, true);
  });

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    document.querySelectorAll("[data-chat-panels] > [data-chat]").forEach((panel) => {
      markSeen(panel);
      if (!panel.hidden) tabOf(panel.dataset.chat)?.querySelector("[data-unread]")?.setAttribute("hidden", "");
    });
  });

  // The note form (htmx) appends the note, or the reason it was refused, to the conversation.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (target?.closest?.("[data-chats]") && [403, 404, 409, 422].includes(event.detail.xhr.status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (form?.matches?.("[data-chat-note]") && event.detail.successful) {
      form.reset();
      const list = form.closest("[data-chat]")?.querySelector("[data-chat-lines]");
      if (list) list.scrollTop = list.scrollHeight;
    }
  });

  /* ---- the visitors page: refreshes by itself, never while the agent is writing an invitation ---- */
  setInterval(() => {
    const box = document.querySelector("[data-visitors]");
    if (!box || !window.htmx || document.hidden || box.contains(document.activeElement)) return;
    window.htmx.ajax("GET", "/chats/visitors", { target: box, swap: "outerHTML" });
  }, 20000);

  live.subscribe((frame) => {
    switch (frame.type) {
      case "chat_ring": showRing(frame); break;
      case "chat_ring_end": endRing(frame); break;
      case "chat_error": onError(frame); break;
      case "chat_message": onMessage(frame); break;
      case "chat_ack": onAck(frame); break;
      case "chat_typing": onTyping(frame); break;
      case "chat_seen": onSeen(frame); break;
      case "chat_state": onState(frame); break;
      default: break;
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const allow = document.querySelector("[data-notify-permission]");
    if (allow && "Notification" in window && Notification.permission === "default") allow.hidden = false;
    document.querySelectorAll("[data-chat-panels] > [data-chat]").forEach((panel) => {
      const list = linesOf(panel);
      list.scrollTop = list.scrollHeight;
      if (!panel.hidden) markSeen(panel);
    });
  });
  // The socket opens after DOMContentLoaded: the first seen mark goes once it is up.
  live.subscribe(() => {
    document.querySelectorAll("[data-chat-panels] > [data-chat]:not([hidden])").forEach((panel) => markSeen(panel));
  });

  window.linkaChat = { send, select };

  /* ---- the composer ------------------------------------------------------------------------------ */
  const SHORTCUT = /(^|\s)\/([a-z0-9_-]{1,32})$/i;
  const TYPING_REPEAT = 3000;  // "still writing" at most this often
  const TYPING_IDLE = 4000;  // silence after which the visitor stops seeing "writing…"

  document.addEventListener("alpine:init", () => {
    window.Alpine.data("chatComposer", () => ({
      token: null,
      asked: 0,
      typing: false,
      typingSentAt: 0,
      idleTimer: null,
      init() {
        const saved = sessionStorage.getItem(this.storageKey());
        if (saved && this.body()) this.body().value = saved;
      },
      storageKey() { return `linka-chat-draft-${this.$root.dataset.chat}`; },
      body() { return this.$root.querySelector('textarea[name="text"]'); },
      suggestions() { return this.$root.querySelector("[data-answer-suggestions]"); },
      signalTyping(on) {
        const chat = this.$root.dataset.chat;
        clearTimeout(this.idleTimer);
        if (on) {
          if (!this.typing || Date.now() - this.typingSentAt > TYPING_REPEAT) {
            live.send({ type: "chat_typing", chat, typing: true });
            this.typing = true;
            this.typingSentAt = Date.now();
          }
          this.idleTimer = setTimeout(() => this.signalTyping(false), TYPING_IDLE);
        } else if (this.typing) {
          live.send({ type: "chat_typing", chat, typing: false });
          this.typing = false;
        }
      },
      onInput(event) {
        const body = event.target;
        sessionStorage.setItem(this.storageKey(), body.value);
        this.signalTyping(body.value.trim() !== "");
        const before = body.value.slice(0, body.selectionStart);
        const match = SHORTCUT.exec(before);
        const box = this.suggestions();
        if (!match) {
          this.token = null;
          box?.replaceChildren();
          return;
        }
        this.token = { start: before.length - match[2].length - 1, end: before.length };
        if (box) this.suggest(box, match[2]);
      },
      // The ticket editor's suggestions (web/ticket_answers.py) for the chat's ticket; an answer that
      // comes back after a later keystroke, or after the shortcut was used, is dropped.
      async suggest(box, typed) {
        const asked = (this.asked = (this.asked || 0) + 1);
        const code = encodeURIComponent(this.$root.dataset.code);
        const response = await fetch(`/tickets/${code}/answers?q=${encodeURIComponent(typed)}`, { headers: { "HX-Request": "true" } });
        const html = response.ok ? await response.text() : "";
        if (asked === this.asked && this.token) box.innerHTML = html;
      },
      onKeydown(event) {
        const plain = !(event.ctrlKey || event.shiftKey || event.altKey || event.metaKey);
        if ((event.key === "Tab" || event.key === "Enter") && plain && this.token) {
          const first = this.suggestions()?.querySelector("[data-answer-text]");
          if (first) { event.preventDefault(); this.insert(first.dataset.answerText); return; }
        }
        if (event.key === "Enter" && plain && !event.isComposing) {
          event.preventDefault();
          this.send();
        }
      },
      onSubmit(event) { event.preventDefault(); this.send(); },
      send() {
        const body = this.body();
        const text = body ? body.value.trim() : "";
        if (!text) return;
        window.linkaChat.send(this.$root.dataset.chat, text);
        body.value = "";
        sessionStorage.removeItem(this.storageKey());
        this.token = null;
        this.asked = (this.asked || 0) + 1;
        this.suggestions()?.replaceChildren();
        this.signalTyping(false);
        body.focus();
      },
      insertAnswer(event) { this.insert(event.currentTarget.dataset.answerText); },
      insert(text) {
        if (window.linkaInsertAnswer(this.body(), this.token, text)) {
          this.token = null;
          this.asked = (this.asked || 0) + 1;  // a suggestion answer still on its way is stale now
          this.suggestions()?.replaceChildren();
        }
      },
    }));
  });
})();
