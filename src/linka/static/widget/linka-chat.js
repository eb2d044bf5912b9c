/*! Linka chat widget, one dependency-free ES2019 file: docs/chat.md (embedding), docs/chat-protocol.md.
 * Runs under strict CSPs, Trusted Types too: no eval, inline handlers or innerHTML; styles constructed in
 * a Shadow DOM; user text only ever in textContent. */
(() => {
'use strict';
const script = document.currentScript || document.querySelector('script[data-linka-button]');
if (!script || window.LinkaChat) return;
const BUTTON = script.getAttribute('data-linka-button') || '';
if (!/^[\w-]{1,40}$/.test(BUTTON)) return;
// The server is wherever this file came from: the customer's page only names the button.
const SRC = new URL(script.src, location.href);
const ORIGIN = SRC.origin;
const WS_URL = (SRC.protocol === 'https:' ? 'wss://' : 'ws://') + SRC.host + '/widget/ws/' + BUTTON;
const STORE = 'linka-chat:' + BUTTON;

// Texts in the order of LANGUAGES. The server sends button texts and form labels translated; system
// lines come as an event with values and are worded here.
const LANGUAGES = ['en', 'cs', 'hu'];
const TEXTS = {
  title: ['Chat with us', 'Napište nám', 'Írjon nekünk'],
  open: ['Open chat', 'Otevřít chat', 'Csevegés megnyitása'],
  openNew: ['Open chat, new message', 'Otevřít chat, nová zpráva', 'Csevegés megnyitása, új üzenet'],
  close: ['Close chat window', 'Zavřít okno chatu', 'Csevegőablak bezárása'],
  end: ['End chat', 'Ukončit chat', 'Befejezés'],
  messages: ['Messages', 'Zprávy', 'Üzenetek'],
  message: ['Message', 'Zpráva', 'Üzenet'],
  placeholder: ['Write a message…', 'Napište zprávu…', 'Írja be az üzenetét…'],
  send: ['Send', 'Odeslat', 'Küldés'],
  attach: ['Attach a file', 'Přiložit soubor', 'Fájl csatolása'],
  start: ['Start chat', 'Zahájit chat', 'Beszélgetés indítása'],
  firstMessage: ['How can we help?', 'S čím vám můžeme pomoci?', 'Miben segíthetünk?'],
  email: ['Email', 'E-mail', 'E-mail-cím'],
  required: ['Please fill in this field.', 'Vyplňte prosím toto pole.', 'Kérjük, töltse ki ezt a mezőt.'],
  badEmail: ['Please enter a valid email address.', 'Zadejte prosím platnou e-mailovou adresu.', 'Kérjük, érvényes e-mail-címet adjon meg.'],
  connecting: ['Connecting…', 'Připojování…', 'Kapcsolódás…'],
  reconnecting: ['Connection lost. Reconnecting…', 'Spojení se přerušilo. Připojujeme znovu…', 'Megszakadt a kapcsolat. Újracsatlakozás…'],
  waiting: ['Someone will be with you shortly…', 'Za chvíli se vám někdo bude věnovat…', 'Hamarosan valaki foglalkozik Önnel…'],
  queue: ['You are number {n} in the queue.', 'Ve frontě jste na {n}. místě.', 'Az Ön helye a sorban: {n}.'],
  typing: ['{name} is writing…', '{name} píše…', '{name} éppen ír…'],
  you: ['You', 'Vy', 'Ön'],
  seen: ['Seen', 'Přečteno', 'Látta'],
  sending: ['Sending…', 'Odesílá se…', 'Küldés…'],
  failed: ['Not sent', 'Neodesláno', 'Nem sikerült elküldeni'],
  tooLong: ['The message is too long ({n} characters at most).', 'Zpráva je příliš dlouhá (nejvýše {n} znaků).', 'Az üzenet túl hosszú (legfeljebb {n} karakter lehet).'],
  rateLimited: ['You are sending messages too fast. Please wait a moment.', 'Posíláte zprávy příliš rychle. Chvíli prosím počkejte.', 'Túl gyorsan küldi az üzeneteket. Kérjük, várjon egy kicsit.'],
  fileType: ['This type of file cannot be sent.', 'Tento typ souboru nelze odeslat.', 'Ilyen típusú fájlt nem lehet elküldeni.'],
  fileTooLarge: ['The file is too large ({size} at most).', 'Soubor je příliš velký (nejvýše {size}).', 'A fájl túl nagy (legfeljebb {size} lehet).'],
  uploadFailed: ['The file could not be sent.', 'Soubor se nepodařilo odeslat.', 'A fájlt nem sikerült elküldeni.'],
  error: ['Something went wrong. Please try again.', 'Něco se nepovedlo. Zkuste to prosím znovu.', 'Valami hiba történt. Kérjük, próbálja újra.'],
  offlineIntro: ['Nobody is available right now. Leave us a message and we will reply by email.', 'Právě teď tu nikdo není. Nechte nám zprávu a odpovíme vám e-mailem.', 'Jelenleg senki sem elérhető. Hagyjon üzenetet, és e-mailben válaszolunk.'],
  offlineSend: ['Send message', 'Odeslat zprávu', 'Üzenet küldése'],
  offlineSent: ['Thank you! We have your message and will reply by email.', 'Děkujeme! Vaši zprávu jsme přijali a odpovíme vám e-mailem.', 'Köszönjük! Megkaptuk az üzenetét, és e-mailben válaszolunk.'],
  unavailable: ['Nobody is available right now. Please try again later.', 'Právě teď tu nikdo není. Zkuste to prosím později.', 'Jelenleg senki sem elérhető. Kérjük, próbálja később.'],
  rateQuestion: ['How was the chat?', 'Jak hodnotíte tento chat?', 'Mennyire volt elégedett a beszélgetéssel?'],
  good: ['Good', 'Dobře', 'Elégedett'],
  neutral: ['OK', 'Ujde to', 'Közepesen'],
  bad: ['Bad', 'Špatně', 'Elégedetlen'],
  comment: ['Comment (optional)', 'Komentář (nepovinné)', 'Megjegyzés (nem kötelező)'],
  rateSend: ['Send rating', 'Odeslat hodnocení', 'Értékelés küldése'],
  rated: ['Thank you for your rating.', 'Děkujeme za hodnocení.', 'Köszönjük az értékelését.'],
  transcript: ['Email me the transcript', 'Poslat mi přepis chatu e-mailem', 'Kérem e-mailben a beszélgetés átiratát'],
  transcriptSend: ['Send transcript', 'Poslat přepis', 'Átirat küldése'],
  transcriptSent: ['The transcript is on its way to {email}.', 'Přepis chatu posíláme na {email}.', 'Az átiratot elküldjük ide: {email}.'],
  newChat: ['Start a new chat', 'Začít nový chat', 'Új beszélgetés indítása'],
  invitation: ['Invitation to chat', 'Pozvánka do chatu', 'Meghívás beszélgetésre'],
  reply: ['Your reply', 'Vaše odpověď', 'Az Ön válasza'],
  closeInvitation: ['Close the invitation', 'Zavřít pozvánku', 'Meghívás bezárása'],
  sys_joined: ['{agent} joined the chat.', '{agent} je teď v chatu.', '{agent} csatlakozott a beszélgetéshez.'],
  sys_left: ['{agent} left the chat.', '{agent} už v chatu není.', '{agent} kilépett a beszélgetésből.'],
  sys_transferred: ['The chat was passed to {department}.', 'Chat byl předán: {department}.', 'A beszélgetés átkerült ide: {department}.'],
  sys_ended: ['The chat has ended.', 'Chat byl ukončen.', 'A beszélgetés véget ért.'],
  sys_missed: ['Nobody could answer right now. We have your message and will get back to you.', 'Teď bohužel nikdo nemohl odpovědět. Vaši zprávu máme a ozveme se vám.', 'Most sajnos senki sem tudott válaszolni. Megkaptuk az üzenetét, és jelentkezünk.']
};

const LANG = [script.getAttribute('data-linka-language'), document.documentElement.lang, navigator.language]
  .map((code) => (code || '').slice(0, 2).toLowerCase()).filter((code) => LANGUAGES.includes(code))[0] || 'en';
const L = LANGUAGES.indexOf(LANG);

const t = (key, values) => (TEXTS[key] ? TEXTS[key][L] : key)
  .replace(/\{(\w+)\}/g, (all, name) => (values && values[name] != null ? String(values[name]) : all));
// Code points, as the server counts them: an emoji is one character and is never cut in half.
const length = (text) => Array.from(text).length;
const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b % 36).toString(36)).join('');
const sizeText = (bytes) => (bytes >= 1048576 ? Math.round(bytes / 104857.6) / 10 + ' MB' : Math.ceil(bytes / 1024) + ' kB');
const maxMessage = () => (config && config.max_message) || 5000;
const maxFile = () => sizeText((config && config.max_file) || 0);

// ---- state, kept per button in localStorage: the chat survives navigation, reloads and drops ----

let saved = {};
try {
  saved = JSON.parse(localStorage.getItem(STORE)) || {};
} catch (e) { /* no storage, or not ours to read: start afresh */ }
let token = saved.token || null;
let chat = saved.chat || null; // CHAT as the server last sent it
let lines = saved.lines || []; // MSGs shown, by seq: the next page shows them at once
let lastSeq = saved.seq || 0;
let pending = saved.pending || []; // own lines not acknowledged yet: {key, text, start?: fields}
let fields = saved.fields || {}; // the pre-chat form's answers, to prefill the next form
let isOpen = !!saved.open;
let ratedChat = saved.rated || null;

function save() {
  const data = { token, chat, lines: lines.slice(-150), seq: lastSeq, pending, fields, open: isOpen, rated: ratedChat };
  try {
    localStorage.setItem(STORE, JSON.stringify(data));
  } catch (e) { /* storage refused (private mode, full): the page works on without it */ }
}

let config = null, socket = null, online = false;
let ready = false, everReady = false; // welcomed on the current socket; on any
let stopped = false; // refused for good (unknown button, origin not allowed)
let attempt = 0, retryTimer = 0, pongTimer = 0, typingTimer = 0, agentTypingTimer = 0, noticeTimer = 0;
let seenSent = 0, agentSeen = chat ? chat.agent_seen || 0 : 0;
let typingSent = false, offlineSent = false, endRequested = false;
let startRequested = false; // a start without a first line, until the chat frame comes
let invitationText = '', invitationReply = '', transcriptTo = '';
let transcriptForm = null, opener = null, focusLater = false;

const running = () => !!chat && (chat.state === 'queued' || chat.state === 'active');
const starting = () => startRequested || pending.some((p) => p.start);

// ---- DOM ----

function h(tag, attrs, children = []) {
  const el = document.createElement(tag);
  Object.keys(attrs || {}).forEach((name) => {
    const value = attrs[name];
    if (value == null || value === false) return;
    if (name === 'text') el.textContent = value;
    else el.setAttribute(name, value === true ? '' : value);
  });
  children.forEach((child) => child && el.append(child));
  return el;
}
const on = (el, type, handler) => (el.addEventListener(type, handler), el);
const button = (attrs, children) => h('button', { type: 'button', ...attrs }, children);
const note = (text, attrs) => h('p', { class: 'note', text, ...attrs });
// Every form checks its fields itself (novalidate), so the messages are in the widget's language.
const form = (attrs, children, submit) => on(h('form', { novalidate: true, ...attrs }, children), 'submit', (event) => {
  event.preventDefault();
  submit();
});

const ICONS = {
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
  close: 'M6 6l12 12M18 6L6 18',
  clip: 'M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7'
};
function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const path = document.createElementNS(ns, 'path');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

// `all: initial` on the host keeps the page's inherited styles out; the shadow root keeps ours in.
const CSS = `:host{all:initial}
*{box-sizing:border-box}
[hidden]{display:none!important}
.root{position:fixed;bottom:16px;right:16px;z-index:2147483000;font:15px/1.45 system-ui,sans-serif;color:#1a1d23;display:flex;flex-direction:column;align-items:flex-end;gap:12px}
.left{right:auto;left:16px;align-items:flex-start}
button,input,select,textarea{font:inherit;color:inherit}
:focus-visible{outline:3px solid var(--ring);outline-offset:2px}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
svg{width:24px;height:24px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round}
.launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--accent);color:var(--on);cursor:pointer;box-shadow:0 4px 14px #0004;display:grid;place-items:center;position:relative}
.dot{position:absolute;top:4px;right:4px;width:14px;height:14px;border-radius:50%;background:#c5221f}
.panel,.bubble{width:min(380px,calc(100vw - 32px));background:#fff;border-radius:12px;box-shadow:0 8px 30px #0004;display:flex;flex-direction:column;overflow:hidden}
.panel{height:min(580px,calc(100vh - 100px))}
.bubble{padding:12px;gap:8px}
header{background:var(--accent);color:var(--on);padding:10px 8px 10px 16px;display:flex;align-items:center;gap:8px}
h2{font-size:16px;margin:0;flex:1}
header button,.icon{background:none;color:inherit;border:1px solid transparent;border-radius:6px;padding:4px 8px;cursor:pointer}
header :focus-visible{outline-color:currentColor}
.body{flex:1;overflow-y:auto;padding:12px 16px;display:flex;flex-direction:column;gap:10px}
p{margin:0}
.note,.who,.mark,.typing,.system{color:#4a5260}
.status{padding:6px 16px;background:#fff6dd;color:#5c4100;font-size:14px}
.log,form{display:flex;flex-direction:column;gap:6px}
.line{max-width:85%;align-self:flex-start}
.visitor{align-self:flex-end;text-align:right}
.system{align-self:center;text-align:center;font-size:13px;font-style:italic}
.who,.mark{font-size:12px}
.text{display:inline-block;text-align:left;padding:8px 12px;border-radius:14px;background:#eef0f3;white-space:pre-wrap;overflow-wrap:anywhere}
.system .text{background:none;padding:0}
.failed .mark,.err{color:#b3261e;font-size:13px}
.text a{color:inherit}
.typing{padding:0 16px 4px;font-size:13px;min-height:1.45em}
label{font-size:14px;font-weight:600}
input,select,textarea{border:1px solid #8a919c;border-radius:6px;padding:7px 9px;background:#fff;width:100%}
textarea{resize:vertical;min-height:64px}
[aria-invalid=true]{border-color:#b3261e}
.primary,.secondary{align-self:flex-start;border-radius:6px;padding:7px 13px;cursor:pointer;border:1px solid #8a919c;background:#fff}
.visitor .text,.primary,[aria-pressed=true]{background:var(--accent);color:var(--on);border-color:var(--accent)}
button:disabled{opacity:.55;cursor:not-allowed}
.composer{border-top:1px solid #dde1e7;padding:8px;flex-direction:row;align-items:flex-end}
.composer textarea{min-height:40px;max-height:120px;flex:1;resize:none}
.composer .primary{align-self:auto}
.row{display:flex;gap:6px;flex-wrap:wrap;align-items:flex-start}
.end{border-top:1px solid #dde1e7;padding-top:10px;display:flex;flex-direction:column;gap:14px}
.bubble p{flex:1;white-space:pre-wrap;overflow-wrap:anywhere}
@media (max-width:480px){.panel{width:calc(100vw - 16px);height:calc(100vh - 90px)}}`;

const host = h('div', { 'data-linka-chat': BUTTON });
const shadow = host.attachShadow({ mode: 'open' });
if ('adoptedStyleSheets' in shadow) {
  // Constructed: no <style> element, so CSPs without 'unsafe-inline' let it in.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  shadow.adoptedStyleSheets = [sheet];
} else shadow.append(h('style', { text: CSS }));

const dot = h('span', { class: 'dot', hidden: true });
const launcher = button({ class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'lc-panel' }, [icon('chat'), dot]);
launcher.hidden = script.hasAttribute('data-linka-hide-button');
const title = h('h2', { id: 'lc-title' });
const endButton = button({ text: t('end') });
const closeButton = button({ 'aria-label': t('close') }, [icon('close')]);
const status = h('p', { class: 'status', role: 'status' });
const greeting = h('p', { class: 'note' });
const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t('messages') });
const formArea = h('div');
const endArea = h('div', { class: 'end' });
const body = h('div', { class: 'body' }, [greeting, formArea, log, endArea]);
const typingLine = h('p', { class: 'typing' });
const composerText = h('textarea', { id: 'lc-text', rows: '1', placeholder: t('placeholder') });
const fileInput = h('input', { type: 'file', class: 'vh', tabindex: '-1', 'aria-label': t('attach') });
const attachButton = button({ class: 'icon', 'aria-label': t('attach') }, [icon('clip')]);
const composer = form({ class: 'composer' }, [
  h('label', { for: 'lc-text', class: 'vh', text: t('message') }), attachButton, fileInput, composerText,
  button({ type: 'submit', class: 'primary', text: t('send') })
], () => sendComposer());
const panel = h('div', { class: 'panel', id: 'lc-panel', role: 'dialog', 'aria-labelledby': 'lc-title', hidden: true },
  [h('header', null, [title, endButton, closeButton]), status, body, typingLine, composer]);
const bubble = h('div', { class: 'bubble', role: 'region', 'aria-label': t('invitation'), hidden: true });
// Shown once Linka has said yes to this page (or a chat of this visitor runs): no button that cannot work.
const root = h('div', { class: 'root', hidden: !chat }, [bubble, panel, launcher]);
shadow.append(root);

// ---- the conversation on screen ----

let byKey = {}; // own lines not acknowledged yet (and file uploads): key -> element
let bySeq = {}; // stored lines: seq -> element

// System lines in the widget's language from their event and values; the server's English otherwise.
function systemText(msg) {
  const template = TEXTS['sys_' + msg.event];
  const values = msg.values || {};
  const missing = !template || (template[L].match(/\{\w+\}/g) || []).some((p) => values[p.slice(1, -1)] == null);
  return missing ? msg.text || '' : t('sys_' + msg.event, values);
}

function lineElement(msg) {
  if (msg.author === 'system' || msg.kind === 'system') {
    return h('div', { class: 'line system' }, [h('span', { class: 'text', text: systemText(msg) })]);
  }
  const mine = msg.author === 'visitor';
  const text = h('div', { class: 'text' });
  if (msg.kind === 'file' && msg.file) {
    const url = new URL(msg.file.url, ORIGIN);
    if (url.origin === ORIGIN && token) url.searchParams.set('token', token);
    text.append(h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', text: msg.file.name }), ' (' + sizeText(msg.file.size || 0) + ')');
  } else text.textContent = msg.text || '';
  return h('div', { class: 'line ' + (mine ? 'visitor' : 'agent') },
    [h('div', { class: mine ? 'who vh' : 'who', text: mine ? t('you') : msg.name || '' }), text, h('div', { class: 'mark' })]);
}

// Stored lines in seq order; lines still being sent stay below them.
function place(el, seq) {
  el.setAttribute('data-seq', seq);
  let next = null;
  for (let child = log.lastElementChild; child; child = child.previousElementSibling) {
    const other = +child.getAttribute('data-seq');
    if (other && other < seq) break;
    next = child;
  }
  log.insertBefore(el, next);
}

function addLine(msg, live) {
  if (!msg || !msg.seq) return;
  if (msg.key && byKey[msg.key]) dropPending(msg.key);
  if (bySeq[msg.seq]) return; // shown already: never twice
  const el = lineElement(msg);
  bySeq[msg.seq] = el;
  place(el, msg.seq);
  remember(msg);
  if (msg.author === 'agent') typingLine.textContent = '';
  if (live && !isOpen && msg.author !== 'visitor') unread(true);
}

function remember(msg) {
  if (!lines.some((m) => m.seq === msg.seq)) {
    lines.push(msg);
    lines.sort((a, b) => a.seq - b.seq);
  }
  lastSeq = Math.max(lastSeq, msg.seq);
  save();
  markSeen();
  showSeen();
  body.scrollTop = body.scrollHeight;
}

function showPending(line) {
  const el = lineElement({ author: 'visitor', text: line.text });
  el.querySelector('.mark').textContent = t('sending');
  byKey[line.key] = el;
  log.append(el);
  body.scrollTop = body.scrollHeight;
  return el;
}

function dropPending(key) {
  if (byKey[key]) byKey[key].remove();
  delete byKey[key];
  pending = pending.filter((p) => p.key !== key);
  save();
}

// The server stored our line as number `seq`: it stays where it is, now numbered.
function acknowledge(key, seq) {
  const line = pending.filter((p) => p.key === key)[0];
  const el = byKey[key];
  if (!line) return; // a file's placeholder waits for the file's own line
  if (!el || bySeq[seq]) return dropPending(key);
  pending = pending.filter((p) => p !== line);
  delete byKey[key];
  el.querySelector('.mark').textContent = '';
  bySeq[seq] = el;
  place(el, seq);
  remember({ seq, author: 'visitor', kind: 'text', text: line.text, key });
}

function failLine(key, reason) {
  const el = byKey[key];
  dropPending(key);
  if (!el) return;
  el.classList.add('failed');
  el.querySelector('.mark').textContent = t('failed') + ': ' + reason;
  log.append(el);
}

// "Seen" under the visitor's last stored line once the agent has seen it.
function showSeen() {
  const marks = log.querySelectorAll('.visitor[data-seq] .mark');
  marks.forEach((mark) => { mark.textContent = ''; });
  const last = marks[marks.length - 1];
  if (last && +last.parentNode.getAttribute('data-seq') <= agentSeen) last.textContent = t('seen');
}

function unread(yes) {
  dot.hidden = !yes;
  launcher.setAttribute('aria-label', t(yes ? 'openNew' : 'open'));
}

function clearLog() {
  lines = [];
  lastSeq = seenSent = agentSeen = 0;
  bySeq = {};
  log.querySelectorAll('[data-seq]').forEach((el) => el.remove());
}

function setStatus() {
  status.textContent = !ready && !stopped ? t(everReady ? 'reconnecting' : 'connecting')
    : chat && chat.state === 'queued' ? (chat.position ? t('queue', { n: chat.position }) : t('waiting')) : '';
  status.hidden = !status.textContent;
}

function notice(text) {
  status.textContent = text;
  status.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(setStatus, 6000);
}

// Which parts of the panel show: a form (pre-chat, offline), the conversation, or its end.
function render() {
  const texts = (config && config.texts) || {};
  const ended = !!chat && !running();
  let form = null;
  if (!chat && config && !starting()) {
    if (online && (config.prechat_fields || []).length) form = 'prechat';
    else if (!online) form = !config.offline_form ? 'unavailable' : offlineSent ? 'offlineSent' : 'offline';
  }
  title.textContent = (form === 'offline' && texts.offline_title) || texts.title || t('title');
  setStatus();
  if (formArea.getAttribute('data-form') !== (form || '')) buildForm(form);
  greeting.textContent = form === 'offline' ? texts.offline_greeting || t('offlineIntro') : invitationText || texts.greeting || '';
  greeting.hidden = !greeting.textContent || ended || form === 'offlineSent' || form === 'unavailable';
  composer.hidden = ended || (!config && !chat) || (!!form && !running());
  attachButton.hidden = !(config && config.file_uploads && running());
  endButton.hidden = !running();
  if (endArea.getAttribute('data-chat') !== (ended ? chat.id : '')) buildEnd();
  endArea.hidden = !ended;
  if (ended && endRequested) {
    endRequested = false;
    endArea.querySelector('button').focus();
  }
}

// ---- forms ----

function field(prefix, spec, value) {
  const id = prefix + spec.key;
  let input;
  if (spec.kind === 'textarea') input = h('textarea', { rows: '3' });
  else if (spec.kind === 'select') input = h('select', null, [''].concat(spec.options || []).map((o) => h('option', { value: o, text: o })));
  else input = h('input', { type: spec.kind === 'email' ? 'email' : 'text', autocomplete: spec.kind === 'email' ? 'email' : spec.key === 'name' ? 'name' : 'off' });
  input.id = id;
  input.name = spec.key;
  input.required = !!spec.required;
  input.setAttribute('data-kind', spec.kind || 'text');
  if (value) input.value = value;
  const label = h('label', { for: id, text: spec.label || spec.key });
  if (spec.required) label.append(h('span', { 'aria-hidden': 'true', text: ' *' }));
  return h('div', null, [label, input, h('p', { class: 'err', id: id + '-err', hidden: true })]);
}

function buildForm(kind) {
  formArea.textContent = '';
  formArea.setAttribute('data-form', kind || '');
  if (!kind) return;
  if (kind === 'offlineSent' || kind === 'unavailable') {
    return formArea.append(note(t(kind), { role: 'status' }));
  }
  let specs = (config.prechat_fields || []).filter((f) => f.key !== 'message');
  if (kind === 'offline' && !specs.some((f) => f.kind === 'email')) {
    specs = specs.concat([{ key: 'email', kind: 'email', required: true, label: t('email') }]);
  }
  const box = form({ 'data-form': kind }, specs.map((spec) => field('lc-' + kind + '-', spec, fields[spec.key])).concat([
    field('lc-' + kind + '-', { key: 'message', kind: 'textarea', required: kind === 'offline', label: t('firstMessage') }, invitationReply),
    button({ type: 'submit', class: 'primary', text: t(kind === 'offline' ? 'offlineSend' : 'start') })
  ]), () => {
    const values = validate(box);
    if (!values) return;
    const message = values.message;
    delete values.message;
    fields = { ...fields, ...values };
    invitationReply = '';
    if (kind === 'offline') send({ type: 'offline', fields: values, message });
    else startChat(values, message);
  });
  formArea.append(box);
}

function fieldError(input, message) {
  const err = shadow.getElementById(input.id + '-err');
  input.setAttribute('aria-invalid', String(!!message));
  input.setAttribute('aria-describedby', err.id);
  err.textContent = message || '';
  err.hidden = !message;
}

function validate(box) {
  const values = {};
  let first = null;
  box.querySelectorAll('input,select,textarea').forEach((input) => {
    const value = input.value.trim();
    const message = input.required && !value ? t('required')
      : value && input.getAttribute('data-kind') === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? t('badEmail')
        : length(value) > maxMessage() ? t('tooLong', { n: maxMessage() }) : '';
    fieldError(input, message);
    first = first || (message && input);
    values[input.name] = value;
  });
  if (first) first.focus();
  return first ? null : values;
}

function startChat(values, message) {
  if (chat) newChat();
  if (message) queueLine(message, values);
  else startRequested = send({ type: 'start', fields: values, message: null });
  render();
  focusFirst();
}

function buildEnd() {
  endArea.textContent = '';
  transcriptForm = null;
  endArea.setAttribute('data-chat', chat && !running() ? chat.id : '');
  if (!chat || running()) return;
  let rating = null;
  const choices = h('div', { class: 'row' });
  const comment = h('textarea', { id: 'lc-comment', rows: '2' });
  const submit = button({ type: 'submit', class: 'primary', text: t('rateSend'), disabled: true });
  let rate = form({ 'aria-labelledby': 'lc-rate' }, [note(t('rateQuestion'), { id: 'lc-rate' }), choices,
    h('label', { for: 'lc-comment', text: t('comment') }), comment, submit], () => {
    if (!rating || !send({ type: 'rate', rating, comment: comment.value.trim() })) return;
    ratedChat = chat.id;
    save();
    const thanks = note(t('rated'), { role: 'status', tabindex: '-1' });
    rate.replaceWith(thanks);
    thanks.focus();
  });
  ['good', 'neutral', 'bad'].forEach((value) => {
    choices.append(on(button({ class: 'secondary', 'aria-pressed': 'false', 'data-rating': value, text: t(value) }), 'click', (event) => {
      rating = value;
      choices.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b === event.currentTarget)));
      submit.disabled = false;
    }));
  });
  if (ratedChat === chat.id || chat.rating) rate = note(t('rated'));
  const mail = transcriptForm = form({}, [field('lc-tr-', { key: 'email', kind: 'email', required: true, label: t('transcript') }, fields.email),
    button({ type: 'submit', class: 'secondary', text: t('transcriptSend') })], () => {
    const values = validate(mail);
    if (values && send({ type: 'transcript', email: values.email })) transcriptTo = values.email;
  });
  const again = on(button({ class: 'secondary', text: t('newChat') }), 'click', () => {
    newChat();
    render();
    focusFirst();
  });
  endArea.append(chat.state === 'missed' ? '' : rate, mail, again);
}

function newChat() {
  chat = ratedChat = null;
  startRequested = offlineSent = false;
  clearLog();
  save();
}

// ---- sending ----

function queueLine(text, startFields) {
  const line = { key: newKey(), text };
  if (startFields) line.start = startFields;
  pending.push(line);
  save();
  showPending(line);
  transmit(line);
}

// Lines typed while disconnected wait in `pending` and go out, with the same keys, after the welcome.
function transmit(line) {
  if (!ready) return;
  if (line.start && !running()) send({ type: 'start', fields: line.start, message: { key: line.key, text: line.text } });
  else send({ type: 'message', key: line.key, text: line.text });
}

function sendComposer() {
  const text = composerText.value.trim();
  if (!text) return;
  if (length(text) > maxMessage()) return notice(t('tooLong', { n: maxMessage() }));
  composerText.value = '';
  typing(false);
  if (chat && !running()) newChat();
  queueLine(text, running() || starting() ? null : {});
  render();
}

// "Writing" goes out once when the visitor starts, and "not writing" after 4 s without a key.
function typing(yes) {
  clearTimeout(typingTimer);
  if (yes) typingTimer = setTimeout(() => typing(false), 4000);
  if (yes !== typingSent && running() && ready) {
    typingSent = yes;
    send({ type: 'typing', typing: yes });
  }
}

function markSeen() {
  if (isOpen && ready && running() && document.visibilityState === 'visible' && lastSeq > seenSent) {
    seenSent = lastSeq;
    send({ type: 'seen', seq: lastSeq });
  }
}

function upload(file) {
  fileInput.value = '';
  if (!file) return;
  if (config && config.max_file && file.size > config.max_file) return notice(t('fileTooLarge', { size: maxFile() }));
  const key = newKey();
  const el = showPending({ key, text: file.name });
  const data = new FormData();
  data.append('token', token || '');
  data.append('key', key);
  data.append('file', file);
  const done = (code) => {
    if (byKey[key] === el) dropPending(key);
    if (code) notice(errorText(code, t('uploadFailed')));
  };
  fetch(ORIGIN + '/widget/files/' + BUTTON + '?token=' + encodeURIComponent(token || '') + '&key=' + key, { method: 'POST', body: data, credentials: 'omit' }).then(
    (response) => (response.ok ? done(null) : response.json().then((b) => done((b.error && b.error.code) || '?'), () => done('?'))),
    () => done('?'));
}

// ---- the socket ----

const send = (frame) => !!socket && socket.readyState === 1 && (socket.send(JSON.stringify(frame)), true);

const page = () => ({ url: location.href, title: document.title, referrer: document.referrer });

function connect() {
  clearTimeout(retryTimer);
  if (stopped) return;
  const ws = new WebSocket(WS_URL);
  socket = ws;
  ws.onopen = () => {
    // Not running: another tab may have started a chat, numbered from 1 again.
    const since = running() ? lastSeq : 0;
    ws.send(JSON.stringify({ type: 'hello', token, language: LANG, page: page(), since }));
  };
  ws.onmessage = (event) => {
    clearTimeout(pongTimer);
    let frame = null;
    try {
      frame = JSON.parse(event.data);
    } catch (e) { /* not ours to read */ }
    if (frame && ws === socket) receive(frame);
  };
  ws.onclose = (event) => ws === socket && dropped(event.code);
}

// After a close, or a connection gone silent: say so, and try again after 1, 2, 4 … 30 s (± 20 %).
function dropped(code) {
  const ws = socket;
  socket = null;
  ready = typingSent = false;
  clearTimeout(pongTimer);
  if (ws) {
    ws.onclose = ws.onmessage = null;
    ws.close();
  }
  if (code === 4403 || code === 4404) {
    stopped = true;
    return host.remove();
  }
  const delay = Math.min(30, Math.pow(2, attempt)) * (0.8 + Math.random() * 0.4) * 1000;
  attempt += 1;
  retryTimer = setTimeout(connect, delay);
  render();
}

function receive(frame) {
  switch (frame.type) {
    case 'welcome': return welcome(frame);
    case 'chat': return setChat(frame.chat);
    case 'message': return addLine(frame.message, true);
    case 'ack': return acknowledge(frame.key, frame.seq);
    case 'seen':
      agentSeen = Math.max(agentSeen, frame.seq || 0);
      return showSeen();
    case 'availability':
      online = !!frame.online;
      return render();
    case 'invitation': return invite(frame);
    case 'error': return refused(frame);
    case 'typing':
      typingLine.textContent = frame.typing ? t('typing', { name: frame.name || '' }).trim() : '';
      clearTimeout(agentTypingTimer);
      agentTypingTimer = setTimeout(() => { typingLine.textContent = ''; }, 30000);
      return;
    case 'offline_sent':
      offlineSent = true;
      return render();
    case 'transcript_sent':
      if (transcriptForm) transcriptForm.replaceWith(note(t('transcriptSent', { email: transcriptTo }), { role: 'status' }));
      transcriptForm = null;
  }
}

function welcome(frame) {
  token = frame.token || token;
  config = frame.config || config || {};
  online = !!frame.online;
  const theirs = frame.chat;
  // No chat on the server: ours is over (still shown if it ended while this page watched).
  if (!theirs && chat && (!everReady || running())) newChat();
  ready = everReady = true;
  root.hidden = false;
  attempt = 0;
  style();
  if (theirs) setChat(theirs);
  (frame.messages || []).slice().sort((a, b) => a.seq - b.seq).forEach((m) => addLine(m, false));
  pending.slice().forEach(transmit);
  save();
  render();
  markSeen();
  // Opened before the welcome (an early LinkaChat.open()): the form exists only now.
  if (focusLater && isOpen) focusFirst();
  focusLater = false;
}

function setChat(next) {
  if (!next) return;
  const same = !!chat && next.id === chat.id;
  if (chat && !same) clearLog(); // a chat this page did not start (another tab's)
  chat = next;
  startRequested = false;
  agentSeen = Math.max(same ? agentSeen : 0, next.agent_seen || 0);
  seenSent = Math.max(seenSent, next.visitor_seen || 0);
  if (!running()) typingLine.textContent = '';
  save();
  render();
  showSeen();
  markSeen();
}

// A refusal in the widget's language; the server's English message for anything unforeseen.
const errorText = (code, message) => ({
  too_long: t('tooLong', { n: maxMessage() }), rate_limited: t('rateLimited'), chat_ended: t('sys_ended'), no_chat: t('sys_ended'),
  file_type: t('fileType'), file_too_large: t('fileTooLarge', { size: maxFile() })
}[code] || message || t('error'));

function refused(frame) {
  const code = frame.code;
  if (code === 'unknown_button' || code === 'origin_not_allowed') return console.warn('Linka chat: ' + (frame.message || code));
  const text = errorText(code, frame.message);
  const line = pending.filter((p) => p.key === frame.key)[0];
  if (!line && code === 'invalid' && !chat) {
    // The start was refused (a field of the form): its first line goes back into the form.
    pending.filter((p) => p.start).forEach((p) => {
      invitationReply = p.text;
      dropPending(p.key);
    });
    startRequested = false;
    formArea.removeAttribute('data-form');
    render();
  }
  if (line && code === 'rate_limited') {
    setTimeout(() => byKey[line.key] && transmit(line), (frame.retry_after || 2) * 1000);
    notice(text);
  } else if (line) failLine(line.key, text);
  else if (code === 'invalid' && frame.field) {
    const input = shadow.querySelector('form [name="' + String(frame.field).split('.').pop().replace(/\W/g, '') + '"]');
    if (!input) return notice(text);
    fieldError(input, text);
    input.focus();
  } else notice(text);
  render();
}

// The button's colour; text on it is white or near-black, whichever contrasts more (WCAG), and the
// focus ring is the colour only where it stands out on white.
function style() {
  const colour = config && /^#[0-9a-f]{6}$/i.test(config.colour || '') ? config.colour : '#0b5cad';
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(colour.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
  const onWhite = 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05);
  host.style.setProperty('--accent', colour);
  host.style.setProperty('--on', onWhite * onWhite >= 21 ? '#fff' : '#111');
  host.style.setProperty('--ring', onWhite >= 3 ? colour : '#1a1d23');
  root.classList.toggle('left', !!config && config.position === 'left');
}

// ---- proactive invitations ----

function invite(frame) {
  if (running() || isOpen || !frame.text) return;
  const closeInvite = button({ class: 'icon', 'aria-label': t('closeInvitation') }, [icon('close')]);
  const reply = h('input', { type: 'text', id: 'lc-reply', autocomplete: 'off' });
  const answer = form({}, [h('label', { for: 'lc-reply', class: 'vh', text: t('reply') }), reply,
    button({ type: 'submit', class: 'primary', text: t('send') })], () => {
    const text = reply.value.trim();
    if (!text) return reply.focus();
    if (chat) newChat();
    invitationText = frame.text;
    if (online && config && (config.prechat_fields || []).some((f) => f.required)) {
      // The pre-chat form asks for something first: the answer waits in its message box.
      invitationReply = text;
      formArea.removeAttribute('data-form');
    } else queueLine(text, {});
    open(true);
  });
  const who = frame.agent && frame.agent.name ? frame.agent.name + ': ' : '';
  bubble.textContent = '';
  bubble.append(h('div', { class: 'row' }, [h('p', { text: who + frame.text }), closeInvite]), answer);
  bubble.hidden = false;
  on(closeInvite, 'click', () => {
    bubble.hidden = true;
    launcher.focus();
  });
}

// ---- opening and closing ----

function focusFirst() {
  (formArea.querySelector('input,select,textarea') || (!composer.hidden && composerText) || endArea.querySelector('button') || closeButton).focus();
}

function open(focus) {
  if (stopped) return;
  if (!isOpen) opener = document.activeElement;
  isOpen = true;
  root.hidden = panel.hidden = false;
  focusLater = focus && !everReady;
  bubble.hidden = true;
  launcher.setAttribute('aria-expanded', 'true');
  unread(false);
  save();
  render();
  body.scrollTop = body.scrollHeight;
  markSeen();
  if (focus) focusFirst();
}

function close() {
  const inside = !!shadow.activeElement;
  isOpen = false;
  panel.hidden = true;
  launcher.setAttribute('aria-expanded', 'false');
  save();
  typing(false);
  if (inside) (launcher.hidden ? opener || document.body : launcher).focus();
}

on(launcher, 'click', () => (isOpen ? close() : open(true)));
on(closeButton, 'click', close);
on(endButton, 'click', () => { endRequested = send({ type: 'end' }); });
on(panel, 'keydown', (event) => event.key === 'Escape' && close());
on(bubble, 'keydown', (event) => { if (event.key === 'Escape') bubble.hidden = true; });
// Keys typed here are not the page's: its shortcuts would see them on our host element, not in a field.
['keydown', 'keyup', 'keypress'].forEach((type) => on(root, type, (event) => event.stopPropagation()));
on(composerText, 'keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendComposer();
  }
});
on(composerText, 'input', () => typing(composerText.value.trim() !== ''));
on(attachButton, 'click', () => fileInput.click());
on(fileInput, 'change', () => upload(fileInput.files[0]));
on(document, 'visibilitychange', markSeen);
on(window, 'online', () => !socket && !stopped && connect());

// A ping every 25 s; a connection silent for 10 s after one is dead even if the browser has not
// noticed. Pages that change without a reload (single-page sites) are reported on the way.
let lastUrl = location.href;
let ticks = 0;
setInterval(() => {
  ticks += 1;
  if (!ready) return;
  if (location.href !== lastUrl) {
    lastUrl = location.href;
    send({ type: 'page', page: page() });
  }
  if (ticks % 5 === 0 && send({ type: 'ping' })) {
    clearTimeout(pongTimer);
    pongTimer = setTimeout(() => dropped(1006), 10000);
  }
}, 5000);

// What the last page showed, at once; the server's welcome then adds only what is newer.
lines.forEach((m) => {
  const el = lineElement(m);
  bySeq[m.seq] = el;
  place(el, m.seq);
});
pending.forEach(showPending);
unread(false);
style();
render();
showSeen();
if (isOpen) open(false);
(document.body || document.documentElement).append(host);
connect();

window.LinkaChat = { open: () => open(true), close };
})();
