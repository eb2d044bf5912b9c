/* Linka agent app: CSRF for htmx, the live connection, keyboard shortcuts, and the Alpine components
   (registered by name: the app uses Alpine's CSP build, so templates hold no JavaScript expressions). */
(function () {
  "use strict";

  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["x-csrf-token"] = csrf();
  });

  /* ---- versioned fragments (the ticket panel, data-version): the newest answer wins ----
     A live refresh started before a change can answer after the change's own answer; and an answer
     can arrive for an element that a refresh has already replaced. So each versioned element drops an
     answer older than what it shows, and takes over answers meant for the element it replaced. The
     listener sits on the element itself: a replaced element's events no longer reach the document. */
  function versionIn(html, id) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const version = template.content.getElementById(id)?.dataset.version;
    return version === undefined ? null : Number(version);
  }

  function keepNewestVersion(event) {
    const target = event.detail.target;
    if (target !== event.currentTarget || !event.detail.shouldSwap) return;
    const live = document.getElementById(target.id);
    const incoming = versionIn(event.detail.serverResponse, target.id);
    if (!live || incoming === null) return;
    if (Number(live.dataset.version) > incoming) {
      event.detail.shouldSwap = false;
      return;
    }
    if (live !== target) {
      event.detail.target = live;
      // htmx fired the answer's HX-Trigger on the replaced element, where no listener hears it.
      const trigger = event.detail.xhr.getResponseHeader("HX-Trigger");
      if (trigger && !trigger.startsWith("{")) {
        for (const name of trigger.split(",")) document.body.dispatchEvent(new CustomEvent(name.trim()));
      }
    }
  }

  document.addEventListener("htmx:load", (event) => {
    const root = event.target;
    const versioned = root.matches?.("[id][data-version]") ? [root] : [];
    versioned.push(...(root.querySelectorAll?.("[id][data-version]") ?? []));
    for (const element of versioned) element.addEventListener("htmx:beforeSwap", keepNewestVersion);
  });

  /* ---- the live connection: ticket changes, presence, notifications ---- */
  const live = {
    socket: null,
    retry: 1000,
    connectedBefore: false,
    viewing: null,
    typing: false,
    connect() {
      if (!document.body.classList.contains("app")) return;
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}/ws/agent`);
      this.socket = socket;
      socket.addEventListener("open", () => {
        this.retry = 1000;
        setStatus(true);
        if (this.viewing) this.send({ type: "view", ticket: this.viewing, typing: this.typing });
        // After a reconnect anything may have changed while we were away: refresh what is live on
        // the page. (Not on the first connection: the page was just rendered.)
        if (this.connectedBefore) document.body.dispatchEvent(new CustomEvent("linka:resync"));
        this.connectedBefore = true;
      });
      socket.addEventListener("message", (event) => {
        let message;
        try { message = JSON.parse(event.data); } catch { return; }
        handle(message);
      });
      socket.addEventListener("close", (event) => {
        if (event.code === 4401) { location.reload(); return; }  // signed out: the page goes to sign-in
        setStatus(false);
        this.socket = null;
        setTimeout(() => this.connect(), this.retry);
        this.retry = Math.min(this.retry * 2, 15000);
      });
    },
    send(message) {
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
      this.socket.send(JSON.stringify(message));
      return true;
    },
    // Other scripts (chat.js) receive every frame: subscribe(fn) calls fn(message) for each.
    subscribers: [],
    subscribe(fn) { this.subscribers.push(fn); },
    view(code) { this.viewing = code; this.send({ type: "view", ticket: code, typing: this.typing }); },
    setTyping(value) {
      if (this.typing === value) return;
      this.typing = value;
      if (this.viewing) this.send({ type: "view", ticket: this.viewing, typing: value });
    },
  };
  window.linkaLive = live;

  // Put an answer's text where the /shortcut was typed (or at the caret), for the reply editor and the
  // chat composer alike; the input event lets autosave and the typing signal see it.
  window.linkaInsertAnswer = (body, token, text) => {
    if (!body) return false;
    const start = token ? token.start : body.selectionStart;
    const end = token ? token.end : body.selectionEnd;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    const caret = start + text.length;
    body.focus();
    body.setSelectionRange(caret, caret);
    body.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  };

  function setStatus(connected) {
    const status = document.getElementById("live-status");
    if (!status) return;
    status.textContent = connected ? status.dataset.connectedText : status.dataset.offlineText;
    status.classList.toggle("offline", !connected);
    document.body.dataset.live = connected ? "connected" : "offline";
  }

  function handle(message) {
    for (const subscriber of live.subscribers) {
      try { subscriber(message); } catch (error) { console.error(error); }
    }
    if (message.type === "tickets") {
      document.body.dispatchEvent(new CustomEvent("linka:tickets", { detail: message }));
      const page = document.querySelector("[data-ticket-code]");
      if (page && message.codes.includes(page.dataset.ticketCode)) {
        document.body.dispatchEvent(new CustomEvent("linka:this-ticket", { detail: message }));
      }
    } else if (message.type === "presence") {
      renderPresence(message);
    } else if (message.type === "notify") {
      notify(message);
    }
  }

  function renderPresence(message) {
    const box = document.getElementById("presence");
    if (!box || box.dataset.ticket !== message.ticket) return;
    box.replaceChildren();
    for (const agent of message.agents) {
      const item = document.createElement("span");
      item.className = "viewer" + (agent.typing ? " typing" : "");
      item.dataset.agent = agent.id;
      item.textContent = agent.typing
        ? box.dataset.typingText.replace("%(name)s", agent.name)
        : box.dataset.viewingText.replace("%(name)s", agent.name);
      box.appendChild(item);
    }
  }

  function notify(message) {
    const area = document.getElementById("notifications");
    if (!area) return;
    const item = document.createElement("div");
    item.className = "notification";
    item.setAttribute("role", "status");
    const link = document.createElement("a");
    link.href = `/tickets/${message.ticket}`;
    link.textContent = message.text;
    item.appendChild(link);
    area.appendChild(item);
    setTimeout(() => item.remove(), 10000);
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      new Notification("Linka", { body: message.text });
    }
  }

  /* ---- keyboard shortcuts (never while typing in a field) ---- */
  function typingInField(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  function click(selector) {
    const element = document.querySelector(selector);
    if (element) { element.click(); return true; }
    return false;
  }

  function moveCursor(step) {
    const rows = [...document.querySelectorAll("#ticket-list tbody tr[data-code]")];
    if (!rows.length) return;
    let index = rows.findIndex((row) => row.classList.contains("cursor"));
    index = Math.max(0, Math.min(rows.length - 1, index + step));
    rows.forEach((row) => row.classList.remove("cursor"));
    rows[index].classList.add("cursor");
    rows[index].querySelector(".subject a")?.focus();
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.metaKey) return;
    if ((event.ctrlKey) && event.key === "Enter") {
      const form = event.target.closest("form[data-send-shortcut]");
      if (form) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (event.key === "Escape" && typingInField(event.target)) {
      event.target.blur();  // leave the field: the single-key shortcuts work again
      return;
    }
    if (event.ctrlKey || typingInField(event.target)) return;
    const keys = {
      "/": () => { const search = document.querySelector('[data-shortcut="search"]'); search?.focus(); search?.select(); return !!search; },
      "n": () => click('[data-shortcut="next"]'),
      "r": () => click('[data-shortcut="reply"]'),
      "i": () => click('[data-shortcut="note"]'),
      "s": () => click('[data-shortcut="resolve"]'),
      "j": () => { moveCursor(1); return true; },
      "k": () => { moveCursor(-1); return true; },
      "?": () => { document.getElementById("shortcut-help")?.showModal(); return true; },
    };
    const action = keys[event.key];
    if (action && action()) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      const open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", String(open));
    }
  });

  /* ---- Alpine components ---- */
  document.addEventListener("alpine:init", () => {
    const Alpine = window.Alpine;

    // The inbox's bulk selection: which rows are ticked, and the select-all box.
    Alpine.data("bulkSelection", () => ({
      count: 0,
      init() { this.recount(); },
      recount() { this.count = this.$root.querySelectorAll('input[name="codes"]:checked').length; },
      toggleAll(event) {
        const on = event.target.checked;
        this.$root.querySelectorAll('input[name="codes"]').forEach((box) => { box.checked = on; });
        this.recount();
      },
      get none() { return this.count === 0; },
      get label() { return this.$root.dataset.selectedText.replace("%(num)s", this.count); },
    }));
  });

  document.addEventListener("DOMContentLoaded", () => {
    live.connect();
    const page = document.querySelector("[data-ticket-code]");
    if (page) live.view(page.dataset.ticketCode);
  });
})();

/* ---- ticket page: the reply editor (web/ticket_reply.py, templates/ticket/_editor.html) ----
   Typing signal for colleagues, canned messages offered after "/shortcut" (Tab or Enter inserts the
   first), removing an attached file. Modes, drafts and sending are server round trips (htmx). */
(function () {
  "use strict";

  // A refused form (422) or a collision (409) comes back as the form with its messages: show it.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    const target = event.detail.target;
    if ((status === 409 || status === 422) && target && target.closest && target.closest("[data-ticket-code], [data-answers]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  const SHORTCUT = /(^|\s)\/([a-z0-9_-]{1,32})$/i;

  document.addEventListener("alpine:init", () => {
    window.Alpine.data("replyEditor", () => ({
      token: null,
      init() {
        const body = this.body();
        if (!body || !body.value.trim()) window.linkaLive?.setTyping(false);
        if (body && this.$root.hasAttribute("data-focus")) {
          body.focus();
          body.setSelectionRange(body.value.length, body.value.length);
        }
      },
      body() { return this.$root.querySelector('textarea[name="text"]'); },
      suggestions() { return this.$root.querySelector("[data-answer-suggestions]"); },
      onInput(event) {
        const body = event.target;
        window.linkaLive?.setTyping(body.value.trim() !== "");
        const before = body.value.slice(0, body.selectionStart);
        const match = SHORTCUT.exec(before);
        const box = this.suggestions();
        if (!match) {
          this.token = null;
          box?.replaceChildren();
          return;
        }
        this.token = { start: before.length - match[2].length - 1, end: before.length };
        if (box && window.htmx) {
          const code = encodeURIComponent(this.$root.dataset.code);
          window.htmx.ajax("GET", `/tickets/${code}/answers?q=${encodeURIComponent(match[2])}`, { target: box, swap: "innerHTML" });
        }
      },
      onKeydown(event) {
        if (event.key !== "Tab" && event.key !== "Enter") return;
        if (event.ctrlKey || event.shiftKey || event.altKey || event.metaKey || !this.token) return;
        const first = this.suggestions()?.querySelector("[data-answer-text]");
        if (!first) return;
        event.preventDefault();
        this.insert(first.dataset.answerText);
      },
      insertAnswer(event) { this.insert(event.currentTarget.dataset.answerText); },
      insert(text) {
        if (window.linkaInsertAnswer(this.body(), this.token, text)) {
          this.token = null;
          this.suggestions()?.replaceChildren();
        }
      },
      removeFile(event) {
        event.currentTarget.closest("li")?.remove();
        this.body()?.dispatchEvent(new Event("input", { bubbles: true }));
      },
    }));
  });
})();
