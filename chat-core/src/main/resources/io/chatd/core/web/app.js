// chatd browser client. Plain script in an IIFE: no build step, no globals.
//
// Security rule for this file: every string that came from a user or the server (names, room names, message
// content, error messages, close reasons) reaches the page only through textContent / createTextNode /
// attributes set through the DOM API. Never innerHTML and friends.
(() => {
  "use strict";

  // ---- constants ------------------------------------------------------------------------------------------

  /** The server's rule for user and room names. */
  const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
  const NAME_RULE = "1 to 64 characters of A-Z a-z 0-9 _ . -";
  const STORAGE_KEY = "chatd.name";
  /** Per tab: the rooms open and whether to reconnect, so a reload comes back to where the person was. */
  const SESSION_KEY = "chatd.session";
  /** Messages fetched when a room is joined, and per "load older". */
  const HISTORY_PAGE = 50;
  /** Scrolled this close to the top of a room's log, older messages are fetched. */
  const OLDER_PX = 40;

  const BACKOFF_BASE_MS = 500;
  const BACKOFF_CAP_MS = 15000;
  /** A connection that stayed up this long was healthy: its close restarts the backoff from the base. */
  const STABLE_MS = 10000;
  /** The longest reconnect window a server may advise (its own cap; docs/protocol.md, `reconnect`). */
  const ADVISED_MAX_MS = 60000;
  /** Who requests after other people's join/leave are coalesced: a burst of notices costs one request. */
  const WHO_DEBOUNCE_MS = 300;
  const WHO_PAGE = 200;
  /** Log entries kept per room, so a busy room cannot grow the page without bound. */
  const MAX_ENTRIES = 500;
  /** Pixels from the bottom within which the log still counts as "following" new messages. */
  const STICKY_PX = 48;

  /** Closes caused by this client or by policy: retrying would just fail the same way. */
  const NO_RETRY_CODES = new Set([1003, 1007, 1008, 1009, 4002]);
  /** The subprotocol the server echoes; the token rides next to it as "bearer.TOKEN" (see docs/security.md). */
  const SUBPROTOCOL = "chatd";
  const CLOSE_LABELS = {
    1000: "normal closure",
    1001: "server going away",
    1002: "protocol error",
    1003: "unsupported data",
    1005: "no status",
    1006: "connection lost",
    1007: "invalid data",
    1008: "policy violation",
    1009: "message too big",
    1011: "server error",
    1012: "service restarted",
    4000: "slow consumer",
    4001: "idle timeout",
    4002: "token expired: paste a fresh token and connect again",
    4003: "too many requests",
  };

  // ---- elements ---------------------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const ui = {
    login: $("login"), name: $("name"), token: $("token"), connect: $("connect"), disconnect: $("disconnect"), status: $("status"),
    errors: $("errors"),
    rooms: $("rooms"), joinForm: $("join-form"), joinRoom: $("join-room"), join: $("join"),
    users: $("users"), usersRoom: $("users-room"),
    roomTitle: $("room-title"), leave: $("leave"), log: $("log"),
    sendForm: $("send-form"), text: $("text"), send: $("send"),
    direct: $("direct"), privateForm: $("private-form"), to: $("to"), privateText: $("private-text"),
    sendPrivate: $("send-private"), conversations: $("conversations"), directPeer: $("direct-peer"),
    loadOlder: $("load-older"), tokenField: $("token-field"),
    panels: document.querySelectorAll("details.collapsible"),
  };

  // ---- state ------------------------------------------------------------------------------------------------

  /**
   * A log view: a room or the Direct list. `entries` are the <li> nodes themselves, so switching rooms is a
   * replaceChildren and nothing is ever re-rendered from strings.
   */
  function newRoom(name) {
    // lastSeq / seqs: what this room's log holds, so a reconnect resumes from lastSeq and a message that arrives
    // twice (replay and live) is shown once, at its place in seq order.
    // historyLoaded / oldestSeq / more: what `history` already brought, and whether older messages remain.
    // userCount: the room's users as the server last counted them; `users` holds the names we know, which in a
    // big room is the first page of `who` only.
    return {
      kind: "room", name, joined: false, users: new Set(), userCount: 0, entries: [], unread: 0, li: null,
      everJoined: false, lastSeq: 0, seqs: new Set(),
      historyLoaded: false, oldestSeq: Infinity, more: false, loadingOlder: false,
    };
  }

  /**
   * A private conversation with one person, a log view like a room's. lastSeq: the highest conversation seq
   * shown; fromPeer: the highest seq the peer sent, which a `read` acknowledges; readSent: the last one acknowledged.
   */
  function newConversation(peer) {
    return { kind: "conversation", peer, entries: [], unread: 0, li: null, lastSeq: 0, seqs: new Set(),
      fromPeer: 0, readSent: 0 };
  }

  const state = {
    name: "",            // the name this client connects with ("" when a token names us)
    token: "",           // a JWT for --auth jwt servers; kept in memory only, never in storage or the URL
    me: "",              // the name the server confirmed in `welcome`; "" until then
    ws: null,            // the current socket; events of older sockets are ignored
    attempt: 0,          // consecutive failed attempts, drives the backoff
    retryTimer: 0,
    // The window the server advised (`reconnect`) before closing the current socket: the first retry after that
    // close waits a random moment of it, so a whole server's clients do not come back at once. 0: none.
    advisedMs: 0,
    // When that window ends (Date.now() ms), until a socket opens again; 0: none. A retry refused meanwhile (the
    // server is restarting) waits a random moment of what is left of it, not the short backoff.
    advisedUntil: 0,
    stopped: true,       // the user disconnected, or a close forbade retrying
    everOpened: false,   // a socket opened since the last Connect: later failures are worth retrying
    // Every room in the list is a room we want to be in: after a reconnect the ones not joined are re-joined.
    rooms: new Map(),    // name -> room
    active: null,        // name of the selected room
    pending: new Map(),  // client id -> { node, view, to?, frame } awaiting an ack; resent after a reconnect
    conversations: new Map(), // peer -> conversation
    activePeer: null,    // the conversation shown in the Direct panel
    closeReason: "",     // why the last open socket closed, shown until a socket opens again
    epoch: "",           // the server's numbering (welcome); seqs are comparable only within one
    // Rooms left while connected whose own `leave` confirmation has not arrived yet. Lets a late confirmation
    // (or a late `join` of a room left right after joining it) be told apart from a real change.
    leaving: new Set(),
    whoTimers: new Map(),
  };

  // ---- small DOM helpers ------------------------------------------------------------------------------------

  /** Creates an element; `text` goes through textContent, so it is always inert. */
  function h(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

  function timeNode(ts) {
    const node = h("time", "ts");
    setTime(node, ts);
    return node;
  }

  function setTime(node, ts) {
    const date = new Date(Number.isFinite(ts) ? ts : Date.now());
    node.dateTime = date.toISOString();
    node.textContent = timeFormat.format(date);
    node.title = date.toLocaleString();
  }

  /** A clickable name: clicking it prefills the private message recipient (see onNameClick). */
  function nameNode(className, name) {
    const node = h("span", className, name);
    node.dataset.name = name;
    return node;
  }

  /** One chat message. Structure the tests rely on: li.msg > .from, .content (and .to for private ones). */
  function messageNode({ from, to, content, ts, seq, isPrivate, mine, pending }) {
    const li = h("li", "msg");
    if (isPrivate) li.classList.add("private");
    if (mine) li.classList.add("mine");
    if (pending) li.classList.add("pending");
    if (Number.isFinite(seq)) li.dataset.seq = String(seq);
    li.append(timeNode(ts), nameNode("from", from));
    if (isPrivate) li.append(h("span", "arrow", "\u2192"), nameNode("to", to));
    li.append(h("span", "content", content));
    return li;
  }

  /** A join/leave/system line; not a `.msg`, so message counts in tests stay exact. */
  function noticeNode(kind, user, text, ts) {
    const li = h("li", "notice " + kind);
    li.append(timeNode(ts));
    if (user) li.append(nameNode("who", user), document.createTextNode(" "));
    li.append(document.createTextNode(text));
    return li;
  }

  function isVisible(view) {
    return view.kind === "conversation" ? view.peer === state.activePeer : view.name === state.active;
  }

  function containerOf(view) {
    return view.kind === "conversation" ? ui.direct : ui.log;
  }

  function nearBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < STICKY_PX;
  }

  /** Appends a node to a view, trimming old entries, and keeps the log scrolled if the reader was following. */
  function appendEntry(view, node) {
    view.entries.push(node);
    const visible = isVisible(view);
    const list = containerOf(view);
    const follow = visible && nearBottom(list);
    while (view.entries.length > MAX_ENTRIES) {
      view.entries.shift().remove();
    }
    if (visible) {
      list.append(node);
      if (follow) list.scrollTop = list.scrollHeight;
    } else if (node.classList.contains("msg") && !node.classList.contains("mine")) {
      view.unread++;
      renderLists();
    }
  }

  /** Puts older messages (oldest first) above everything shown, keeping the reader's place. */
  function prependEntries(view, nodes) {
    if (!nodes.length) return;
    view.entries.unshift(...nodes);
    if (!isVisible(view)) return;
    const list = containerOf(view);
    const fromBottom = list.scrollHeight - list.scrollTop;
    list.prepend(...nodes);
    list.scrollTop = list.scrollHeight - fromBottom;
  }

  /**
   * Places a room message by its seq: at the end, unless later messages are already shown (a replay after a
   * reconnect can arrive after live messages, and others' messages can overtake our ack), in which case it goes
   * before them. Notices stop the search, so a message never jumps above a join or leave shown before it.
   */
  function placeBySeq(room, node, seq) {
    let index = room.entries.length;
    while (index > 0) {
      const prev = room.entries[index - 1];
      // Our own unconfirmed messages get their place when acked: pass over them.
      if (!prev.classList.contains("pending")) {
        const before = Number(prev.dataset.seq);
        if (!Number.isFinite(before) || before < seq) break;
      }
      index--;
    }
    if (index === room.entries.length) {
      appendEntry(room, node);
      return;
    }
    const next = room.entries[index];
    room.entries.splice(index, 0, node);
    if (isVisible(room)) {
      containerOf(room).insertBefore(node, next);
    } else {
      room.unread++;
      renderLists();
    }
  }

  /** Records a message's seq in a room or conversation; false when it is already shown (a duplicate). */
  function noteSeq(view, seq) {
    if (!Number.isFinite(seq)) return true;
    if (view.seqs.has(seq)) return false;
    view.seqs.add(seq);
    if (seq > view.lastSeq) view.lastSeq = seq;
    if (view.kind === "room" && seq < view.oldestSeq) view.oldestSeq = seq;
    return true;
  }

  function removeEntry(view, node) {
    const index = view.entries.indexOf(node);
    if (index >= 0) view.entries.splice(index, 1);
    node.remove();
  }

  // ---- rendering --------------------------------------------------------------------------------------------

  function setStatus(stateName, text) {
    ui.status.dataset.state = stateName;
    ui.status.textContent = text;
  }

  function showError(text, code) {
    ui.errors.textContent = text;
    if (code) ui.errors.dataset.code = code;
    else delete ui.errors.dataset.code;
  }

  /**
   * Renders a list of views (rooms, conversations) as items updated in place, which keeps keyboard focus, and
   * reorders the container only when its membership changed. `item(view)` creates a view's <li> once.
   */
  function renderItems(container, views, isActive, item) {
    const items = [];
    for (const view of views) {
      if (!view.li) view.li = item(view);
      const active = isActive(view);
      view.li.classList.toggle("active", active);
      if (active) view.li.setAttribute("aria-current", "true");
      else view.li.removeAttribute("aria-current");
      // The unread count is drawn by CSS from this attribute, so it never pollutes the item's text.
      if (view.unread > 0) view.li.dataset.unread = String(view.unread);
      else delete view.li.dataset.unread;
      items.push(view.li);
    }
    const current = Array.from(container.children);
    if (current.length !== items.length || current.some((node, i) => node !== items[i])) {
      container.replaceChildren(...items);
    }
  }

  function renderRooms() {
    renderItems(ui.rooms, state.rooms.values(), (room) => room.name === state.active, (room) => {
      const li = h("li", "room", room.name);
      li.dataset.room = room.name;
      li.tabIndex = 0;
      li.title = "Open " + room.name;
      return li;
    });
    for (const room of state.rooms.values()) room.li.dataset.joined = String(room.joined);
  }

  /** One item per person written with, like the rooms. */
  function renderConversations() {
    renderItems(ui.conversations, state.conversations.values(), (conv) => conv.peer === state.activePeer, (conv) => {
      const li = h("li", "conversation", conv.peer);
      li.dataset.peer = conv.peer;
      li.tabIndex = 0;
      li.title = "Open your conversation with " + conv.peer;
      return li;
    });
    ui.directPeer.textContent = state.activePeer ? "with " + state.activePeer : "";
  }

  function renderLists() {
    renderRooms();
    renderConversations();
  }

  function renderUsers() {
    const room = state.active ? state.rooms.get(state.active) : null;
    const names = room ? Array.from(room.users).sort() : [];
    const count = room ? Math.max(room.userCount, names.length) : 0;
    ui.usersRoom.textContent = room ? "in " + room.name + " · " + count.toLocaleString() + " online" : "";
    const items = names.map((name) => {
      const li = h("li", "user", name);
      li.dataset.user = name;
      li.tabIndex = 0;
      if (name === state.me) li.classList.add("self");
      else li.title = "Message " + name + " privately";
      return li;
    });
    // A big room's list is its first page: say how many more there are rather than pretend it is everyone.
    if (count > names.length) items.push(h("li", "user more muted", "and " + (count - names.length).toLocaleString() + " more"));
    ui.users.replaceChildren(...items);
  }

  function isOpen() {
    return state.ws !== null && state.ws.readyState === WebSocket.OPEN && state.me !== "";
  }

  function updateControls() {
    const open = isOpen();
    // Connected, connecting or about to retry: the identity is in use, so the login form is inert until
    // Disconnect (or a close that stops retrying).
    const engaged = !state.stopped;
    ui.connect.disabled = engaged;
    ui.name.readOnly = engaged;
    ui.token.readOnly = engaged;
    ui.leave.disabled = !state.active;
    // A room whose join is still in flight may already be written to: the server handles frames in order.
    ui.send.disabled = !(open && state.active);
    ui.sendPrivate.disabled = !open;
    ui.disconnect.disabled = state.stopped && state.ws === null;
    ui.roomTitle.textContent = state.active || "No room";
    renderOlder();
  }

  /** The "load older" button of the room shown: there when the server said older messages remain. */
  function renderOlder() {
    const room = state.active ? state.rooms.get(state.active) : null;
    ui.loadOlder.hidden = !(room && room.more);
    ui.loadOlder.disabled = !room || room.loadingOlder || !isOpen();
  }

  function selectRoom(name) {
    const room = name ? state.rooms.get(name) : null;
    state.active = room ? room.name : null;
    if (room) room.unread = 0;
    ui.log.replaceChildren(...(room ? room.entries : []));
    ui.log.scrollTop = ui.log.scrollHeight;
    renderAll();
  }

  function ensureConversation(peer) {
    return ensureIn(state.conversations, peer, newConversation);
  }

  /** Shows the conversation with `peer` in the Direct panel, addressed to them, and marks it read. */
  function selectConversation(peer) {
    const conv = ensureConversation(peer);
    state.activePeer = peer;
    conv.unread = 0;
    ui.direct.replaceChildren(...conv.entries);
    ui.direct.scrollTop = ui.direct.scrollHeight;
    ui.to.value = peer;
    markRead(conv);
    renderConversations();
  }

  /** Tells the peer (and our other tabs) that we read what they sent, once the conversation is on screen. */
  function markRead(conv) {
    if (!isVisible(conv) || conv.fromPeer <= conv.readSent || !isOpen()) return;
    conv.readSent = conv.fromPeer;
    send({ type: "read", with: conv.peer, seq: conv.fromPeer });
  }

  function renderAll() {
    renderLists();
    renderUsers();
    updateControls();
    saveSession();
  }

  /** Remembers, for this tab only, where the person is, so a reload can come back to it (see restoreSession). */
  function saveSession() {
    try {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify({
        name: state.name,
        // A token is never stored, so only a name-based session can reconnect by itself.
        reconnect: !state.stopped && !state.token && state.name !== "",
        rooms: Array.from(state.rooms.keys()),
        active: state.active,
      }));
    } catch (e) {
      // No storage: a reload starts from the login form, as before.
    }
  }

  function readSession() {
    try {
      const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
      return session && typeof session === "object" ? session : null;
    } catch (e) {
      return null;
    }
  }

  // ---- room bookkeeping -------------------------------------------------------------------------------------

  function ensureRoom(name) {
    return ensureIn(state.rooms, name, newRoom);
  }

  /** The view under `key`, made with `make(key)` and kept the first time it is asked for. */
  function ensureIn(views, key, make) {
    let view = views.get(key);
    if (!view) {
      view = make(key);
      views.set(key, view);
    }
    return view;
  }

  function removeRoom(name) {
    const room = state.rooms.get(name);
    if (!room) return;
    state.rooms.delete(name);
    clearTimeout(state.whoTimers.get(name));
    state.whoTimers.delete(name);
    if (state.active === name) {
      const next = state.rooms.keys().next();
      selectRoom(next.done ? null : next.value);
    } else {
      renderAll();
    }
  }

  /** Asks for the room's member list; delayed requests for the same room collapse into one. */
  function requestWho(name, delay) {
    clearTimeout(state.whoTimers.get(name));
    state.whoTimers.set(name, setTimeout(() => {
      state.whoTimers.delete(name);
      const room = state.rooms.get(name);
      // `who` on a room we are not in only earns a not_in_room error.
      // The first page is enough for the panel; a big room says how many more there are.
      if (room && room.joined) send({ type: "who", room: name, limit: WHO_PAGE });
    }, delay));
  }

  // ---- connection -------------------------------------------------------------------------------------------

  function send(frame) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
    state.ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * A message id unique across page loads, tabs and devices: the server refuses an id its user already sent with
   * other content (id_conflict), and a counter that restarts on every load would collide with its own past.
   */
  function newId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (window.crypto && typeof crypto.getRandomValues === "function") crypto.getRandomValues(bytes);
    else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function connect() {
    clearTimeout(state.retryTimer);
    state.retryTimer = 0;
    state.advisedMs = 0; // advice is for the close of the socket that got it
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // With a token the server takes the user from it; browsers cannot set headers on a WebSocket, so the token
    // goes in the subprotocol list (the server echoes only "chatd"), which keeps it out of URLs and logs.
    const url = scheme + "//" + location.host + "/ws" + (state.token ? "" : "?user=" + encodeURIComponent(state.name));
    const protocols = state.token ? [SUBPROTOCOL, "bearer." + state.token] : undefined;
    // Per-socket facts for the close handler: whether it ever opened, and for how long.
    const life = { opened: false, openedAt: 0 };
    let ws;
    try {
      ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    } catch (e) {
      // Only a malformed URL throws here; treat it like any failed attempt.
      scheduleRetry("could not connect");
      return;
    }
    state.ws = ws;
    setStatus("connecting", "connecting\u2026");
    updateControls();

    // Every handler checks it still belongs to the current socket: a replaced socket's late events must not
    // touch the state of its successor.
    ws.onopen = () => {
      if (state.ws !== ws) return;
      life.opened = true;
      life.openedAt = Date.now();
      state.everOpened = true;
      state.advisedUntil = 0;
      setStatus("opening", "opening\u2026");
    };
    ws.onmessage = (event) => {
      if (state.ws !== ws) return;
      if (typeof event.data === "string") onFrame(event.data);
    };
    ws.onerror = () => {
      // Browsers hide the cause; the close event that always follows carries what there is to show.
    };
    ws.onclose = (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      onClosed(event, life);
    };
  }

  /** Closes the current socket on the user's behalf; its close event is ignored (state.ws no longer matches). */
  function closeSocket() {
    clearTimeout(state.retryTimer);
    state.retryTimer = 0;
    const ws = state.ws;
    state.ws = null;
    if (ws) {
      try {
        ws.close(1000, "client closed");
      } catch (e) {
        // Already closing; nothing else to do.
      }
      goOffline();
    }
  }

  /** What a lost connection invalidates: membership, presence and unconfirmed sends. */
  function goOffline() {
    for (const room of state.rooms.values()) {
      room.loadingOlder = false;
      if (room.joined) appendEntry(room, noticeNode("system", null, "connection closed"));
      room.joined = false;
      room.users.clear();
    }
    // Unconfirmed sends stay pending: they go again, with the same id, once reconnected (see resendPending).
    state.leaving.clear();
    for (const timer of state.whoTimers.values()) clearTimeout(timer);
    state.whoTimers.clear();
    state.me = "";
    renderAll();
  }

  function onClosed(event, life) {
    goOffline();
    const code = event.code;
    // After a close, failed attempts keep saying why the connection ended ("server going away"), rather than
    // a bare "could not connect" while the server restarts.
    if (life.opened) {
      state.closeReason = "closed " + code + (event.reason ? ": " + event.reason : "")
        + " (" + (CLOSE_LABELS[code] || "unknown") + ")";
    }
    const what = life.opened || state.closeReason ? state.closeReason : "could not connect";
    if (life.opened && NO_RETRY_CODES.has(code)) {
      // An expired token is dead: clear it so the next Connect cannot send it again by accident.
      if (code === 4002) ui.token.value = "";
      stopRetrying(what, "Connection closed by the server: " + (event.reason || CLOSE_LABELS[code]), "close_" + code);
      return;
    }
    // A refused token gets HTTP 401 before the upgrade, which browsers report only as a failed connection, and
    // it would be refused the same way forever. Until a socket has opened with it, stop and say so.
    if (!life.opened && state.token && !state.everOpened) {
      stopRetrying(what, "Could not connect with this token: the server refused it (invalid, expired, or signed "
        + "for another server) or is unreachable. Check the token and connect again.", "connect_refused");
      return;
    }
    // A slow consumer that reconnects at once would be cut off again: its backoff keeps growing.
    if (life.opened && code !== 4000 && Date.now() - life.openedAt >= STABLE_MS) {
      state.attempt = 0;
    }
    if (state.advisedMs > 0) state.advisedUntil = Date.now() + state.advisedMs;
    state.advisedMs = 0;
    scheduleRetry(what);
  }

  /** Gives up until the person clicks Connect again: retrying could only fail the same way. */
  function stopRetrying(what, error, code) {
    state.stopped = true;
    saveSession();
    setStatus("closed", what + " \u2014 not reconnecting");
    showError(error, code);
    updateControls();
  }

  /**
   * Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^attempt)). Within a window the
   * server advised (`advisedUntil`) the ceiling is what is left of the window when that is longer: the first retry
   * after the close waits a random moment of the whole window, one refused meanwhile a random moment of the rest,
   * so the clients refused while their server restarts do not all return in its first seconds.
   */
  function scheduleRetry(what) {
    if (state.stopped) return;
    const backoff = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** state.attempt);
    const ceiling = Math.max(backoff, state.advisedUntil - Date.now());
    const delay = Math.random() * ceiling;
    state.attempt = Math.min(state.attempt + 1, 30);
    setStatus("waiting", what + " \u2014 reconnecting in " + (delay / 1000).toFixed(1) + " s");
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(connect, delay);
    updateControls();
  }

  /** Forgets everything tied to the previous identity: another name is another user. */
  function resetConversation() {
    state.rooms.clear();
    for (const entry of state.pending.values()) markFailed(entry, "not sent: you changed identity");
    state.pending.clear();
    state.leaving.clear();
    state.conversations.clear();
    state.activePeer = null;
    ui.direct.replaceChildren();
    selectRoom(null);
  }

  // ---- incoming frames --------------------------------------------------------------------------------------

  const str = (value) => (typeof value === "string" ? value : "");

  function onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (e) {
      return; // the server only sends JSON; ignore anything else rather than break the session
    }
    if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
    switch (frame.type) {
      case "welcome": onWelcome(frame); break;
      case "msg": onRoomMessage(frame); break;
      case "private": onPrivate(frame); break;
      case "ack": onAck(frame); break;
      case "join": onJoinNotice(frame); break;
      case "leave": onLeaveNotice(frame); break;
      case "who": onWho(frame); break;
      case "presence": onPresence(frame); break;
      case "error": onError(frame); break;
      case "resume": onResume(frame); break;
      case "history": onHistory(frame); break;
      case "read": onRead(frame); break;
      case "reconnect": onReconnectAdvice(frame); break;
      case "pong": break; // we never need the answer; protocol-level pings keep the connection alive
      default: break;     // newer server, older client: ignore unknown frames
    }
  }

  /** The server is about to close this socket, and asks us to reconnect at a random moment of `within` ms. */
  function onReconnectAdvice(frame) {
    const within = frame.within;
    if (typeof within === "number" && Number.isFinite(within) && within > 0) {
      state.advisedMs = Math.min(within, ADVISED_MAX_MS);
    }
  }

  function onWelcome(frame) {
    state.me = str(frame.user) || state.name;
    state.closeReason = "";
    // The seqs we hold belong to the numbering of the last connection: resumes say which, so that a server
    // that crashed (and may number again what we saw) answers recovered:false instead of skipping messages.
    const seenEpoch = state.epoch;
    state.epoch = str(frame.epoch);
    const resumeFrom = (room) => {
      const join = { type: "join", room: room.name, since: room.lastSeq };
      if (seenEpoch) join.epoch = seenEpoch;
      return join;
    };
    setStatus("open", "connected as " + state.me);
    const initial = Array.isArray(frame.rooms) ? frame.rooms.filter((r) => typeof r === "string") : [];
    for (const name of initial) {
      const room = ensureRoom(name);
      room.joined = true;
      // The server joined us already; `since` still fetches what we missed there while away.
      if (room.everJoined) send(resumeFrom(room));
    }
    // Re-join what we had before the reconnect (and rooms asked for while offline), resuming after the last
    // message we saw: the server replays the gap, then continues live.
    for (const room of state.rooms.values()) {
      if (room.joined) continue;
      send(room.everJoined ? resumeFrom(room) : { type: "join", room: room.name });
    }
    resendPending();
    if (!state.active || !state.rooms.has(state.active)) {
      const first = state.rooms.keys().next();
      selectRoom(first.done ? null : first.value);
    } else {
      renderAll();
    }
    // Receipts for what was read while the socket was down.
    for (const conv of state.conversations.values()) markRead(conv);
  }

  /** A page of a room's history (oldest first): what is not shown yet goes above everything shown. */
  function onHistory(frame) {
    const room = state.rooms.get(str(frame.room));
    if (!room || !Array.isArray(frame.messages)) return;
    room.loadingOlder = false;
    room.more = frame.more === true;
    const nodes = [];
    for (const m of frame.messages) {
      if (!m || typeof m !== "object" || !Number.isFinite(m.seq) || !noteSeq(room, m.seq)) continue;
      const from = str(m.from);
      nodes.push(messageNode({ from, content: str(m.content), ts: m.ts, seq: m.seq, mine: from === state.me }));
    }
    prependEntries(room, nodes);
    renderOlder();
  }

  function loadOlder() {
    const room = state.active ? state.rooms.get(state.active) : null;
    if (!room || !room.more || room.loadingOlder || !isOpen()) return;
    room.loadingOlder = true;
    const request = { type: "history", room: room.name, limit: HISTORY_PAGE };
    if (Number.isFinite(room.oldestSeq)) request.before = room.oldestSeq;
    send(request);
    renderOlder();
  }

  /**
   * Sends again, with their ids, the messages the last connection did not confirm. After the joins above, so a
   * room message finds its room joined; the server answers an id it already stored with the original ack and
   * delivers nothing twice, so resending is always safe.
   */
  function resendPending() {
    for (const [id, entry] of state.pending) {
      if (entry.frame.type === "msg" && !state.rooms.has(entry.frame.room)) {
        state.pending.delete(id);
        markFailed(entry, "not sent: you left the room");
        continue;
      }
      send(entry.frame);
    }
  }

  function onRoomMessage(frame) {
    // Messages still in flight for a room we just left must not resurrect it.
    const room = state.rooms.get(str(frame.room));
    if (!room) return;
    if (!noteSeq(room, frame.seq)) return;
    const from = str(frame.from);
    const node = messageNode({ from, content: str(frame.content), ts: frame.ts, seq: frame.seq, mine: from === state.me });
    if (Number.isFinite(frame.seq)) placeBySeq(room, node, frame.seq);
    else appendEntry(room, node);
  }

  /** Start of a replay after `join` with `since`; when history could not reach back, the log starts over. */
  function onResume(frame) {
    const room = state.rooms.get(str(frame.room));
    if (!room || frame.recovered !== false) return;
    for (const node of room.entries.slice()) {
      if (node.classList.contains("msg") && !node.classList.contains("pending")) removeEntry(room, node);
    }
    room.seqs.clear();
    room.oldestSeq = Infinity;
    appendEntry(room, noticeNode("system", null, "some messages from while you were away are no longer available"));
    // What follows is only the newest part: a history page fills in above it, as on a first join.
    send({ type: "history", room: room.name, limit: HISTORY_PAGE });
  }

  /**
   * A private message goes to its conversation: with the sender, or with the recipient when we sent it (a
   * message to ourselves is a conversation with ourselves). The first one opens its conversation.
   */
  function onPrivate(frame) {
    const from = str(frame.from);
    const to = str(frame.to) || state.me;
    const peer = from === state.me ? to : from;
    if (!NAME_RE.test(peer)) return;
    const conv = ensureConversation(peer);
    if (!noteSeq(conv, frame.seq)) return; // stored messages are delivered at least once
    if (from !== state.me && Number.isFinite(frame.seq) && frame.seq > conv.fromPeer) conv.fromPeer = frame.seq;
    if (!state.activePeer) selectConversation(peer);
    appendEntry(conv, messageNode({
      from, to, content: str(frame.content), ts: frame.ts, seq: frame.seq, isPrivate: true,
      mine: from === state.me,
    }));
    markRead(conv);
    renderConversations();
  }

  /**
   * A receipt. From the peer: they read our messages up to `seq`. From ourselves (another tab read the
   * conversation): nothing there is unread any more.
   */
  function onRead(frame) {
    const by = str(frame.by);
    const seq = frame.seq;
    if (!Number.isFinite(seq)) return;
    if (by === state.me) {
      const conv = state.conversations.get(str(frame.with));
      if (!conv) return;
      conv.unread = 0;
      conv.readSent = Math.max(conv.readSent, seq);
      renderConversations();
      return;
    }
    const conv = state.conversations.get(by);
    if (!conv) return;
    for (const node of conv.entries) {
      if (node.classList.contains("mine") && !node.classList.contains("pending") && Number(node.dataset.seq) <= seq) {
        node.classList.add("seen");
      }
    }
  }

  function onAck(frame) {
    const entry = state.pending.get(str(frame.id));
    if (!entry) return;
    state.pending.delete(str(frame.id));
    if (entry.to && entry.to === state.me) {
      // A message to ourselves was delivered to this connection too, before the ack: keep only that copy.
      const index = entry.view.entries.indexOf(entry.node);
      if (index >= 0) entry.view.entries.splice(index, 1);
      entry.node.remove();
      return;
    }
    entry.node.classList.remove("pending");
    setTime(entry.node.querySelector(".ts"), frame.ts);
    if (entry.view.kind === "conversation") {
      if (Number.isFinite(frame.seq)) {
        entry.node.dataset.seq = String(frame.seq);
        noteSeq(entry.view, frame.seq);
      }
      // Also what a typo'd name looks like: nobody of that name is connected.
      if (frame.stored === true) {
        entry.node.classList.add("stored");
        const notice = noticeNode("offline", entry.to, "is offline: the message will be delivered when they connect");
        const index = entry.view.entries.indexOf(entry.node);
        if (index >= 0) {
          entry.view.entries.splice(index + 1, 0, notice);
          entry.node.after(notice);
        }
      }
      return;
    }
    if (!Number.isFinite(frame.seq)) return;
    // A room message takes its place in seq order (others' messages may have overtaken the ack).
    removeEntry(entry.view, entry.node);
    if (!noteSeq(entry.view, frame.seq)) return; // already shown through a replay
    entry.node.dataset.seq = String(frame.seq);
    placeBySeq(entry.view, entry.node, frame.seq);
  }

  function onJoinNotice(frame) {
    const name = str(frame.room);
    const user = str(frame.user);
    if (!name || !user) return;
    let room = state.rooms.get(name);
    if (user === state.me) {
      if (!room) {
        // Our join of a room left right afterwards: its leave confirmation follows.
        if (state.leaving.has(name)) return;
        room = ensureRoom(name); // the server says we are in it; believe it
      }
      // A repeated join (the resume of the default room after a reconnect) is answered with the notice again:
      // one "joined" per connection is enough.
      const already = room.joined && room.users.has(user);
      room.joined = true;
      room.everJoined = true;
      room.users.add(user);
      if (!already) appendEntry(room, noticeNode("join", user, "joined", frame.ts));
      // A new member sees what was said before: the newest page of history, then live messages.
      if (!room.historyLoaded) {
        room.historyLoaded = true;
        send({ type: "history", room: name, limit: HISTORY_PAGE });
      }
      requestWho(name, 0);
    } else {
      if (!room) return;
      room.users.add(user);
      // Notices come only from rooms small enough for `who` to list everyone: the names are the count.
      room.userCount = room.users.size;
      appendEntry(room, noticeNode("join", user, "joined", frame.ts));
      requestWho(name, WHO_DEBOUNCE_MS);
    }
    if (name === state.active) renderUsers();
    renderRooms();
    updateControls();
  }

  function onLeaveNotice(frame) {
    const name = str(frame.room);
    const user = str(frame.user);
    const room = state.rooms.get(name);
    if (user === state.me) {
      // The confirmation of a leave we sent; the room is already gone from the list.
      if (state.leaving.delete(name)) return;
      removeRoom(name);
      return;
    }
    if (!room) return;
    // The server only announces a user's last connection leaving, so removing the name is exact.
    room.users.delete(user);
    room.userCount = room.users.size;
    appendEntry(room, noticeNode("leave", user, "left", frame.ts));
    requestWho(name, WHO_DEBOUNCE_MS);
    if (name === state.active) renderUsers();
  }

  function onWho(frame) {
    const room = state.rooms.get(str(frame.room));
    if (!room || !Array.isArray(frame.users)) return;
    room.users = new Set(frame.users.filter((u) => typeof u === "string"));
    room.userCount = Number.isInteger(frame.count) ? frame.count : room.users.size;
    if (room.name === state.active) renderUsers();
  }

  /** A big room's gathered changes: who came and went (while it is small enough to name them), and the count. */
  function onPresence(frame) {
    const room = state.rooms.get(str(frame.room));
    if (!room) return;
    const joined = Array.isArray(frame.joined) ? frame.joined.filter((u) => typeof u === "string") : [];
    const left = Array.isArray(frame.left) ? frame.left.filter((u) => typeof u === "string") : [];
    for (const user of joined) room.users.add(user);
    for (const user of left) if (user !== state.me) room.users.delete(user);
    if (Number.isInteger(frame.count)) room.userCount = frame.count;
    if (joined.length) appendEntry(room, noticeNode("join", null, summary(joined) + " joined", Date.now()));
    if (left.length) appendEntry(room, noticeNode("leave", null, summary(left) + " left", Date.now()));
    if (room.name === state.active) renderUsers();
  }

  /** "alice", "alice and bob", "alice, bob, carol and 4 others". */
  function summary(names) {
    if (names.length === 1) return names[0];
    const shown = names.slice(0, 3);
    const rest = names.length - shown.length;
    return rest > 0 ? shown.join(", ") + " and " + rest + " others"
      : shown.slice(0, -1).join(", ") + " and " + shown[shown.length - 1];
  }

  function onError(frame) {
    const code = str(frame.code);
    const message = str(frame.message) || code || "error";
    showError((code ? code + ": " : "") + message, code);
    const id = str(frame.id);
    const entry = id ? state.pending.get(id) : null;
    if (entry) {
      state.pending.delete(id);
      markFailed(entry, "not sent: " + message);
    }
  }

  function markFailed(entry, why) {
    entry.node.classList.remove("pending");
    entry.node.classList.add("failed");
    entry.node.append(h("span", "failure", why));
  }

  // ---- user actions -----------------------------------------------------------------------------------------

  function onConnect(event) {
    event.preventDefault();
    connectFromForm();
  }

  function connectFromForm() {
    const name = ui.name.value.trim();
    const token = ui.token.value.trim();
    // A token is base64url segments joined by dots: anything else cannot be a subprotocol entry.
    if (token && !/^[A-Za-z0-9_.-]+$/.test(token)) {
      ui.token.setAttribute("aria-invalid", "true");
      showError("That does not look like a token (expected a JWT).", "client_invalid");
      ui.token.focus();
      return;
    }
    ui.token.removeAttribute("aria-invalid");
    if (!token && !NAME_RE.test(name)) {
      ui.name.setAttribute("aria-invalid", "true");
      showError("Name must be " + NAME_RULE + ".", "client_invalid");
      ui.name.focus();
      return;
    }
    ui.name.removeAttribute("aria-invalid");
    try {
      if (name) localStorage.setItem(STORAGE_KEY, name);
    } catch (e) {
      // Storage can be disabled (private mode, policy); remembering the name is only a convenience.
    }
    closeSocket();
    if (name !== state.name || token !== state.token) resetConversation();
    state.name = name;
    state.token = token;
    state.stopped = false;
    state.everOpened = false;
    state.attempt = 0;
    state.advisedUntil = 0;
    state.closeReason = "";
    showError("");
    saveSession();
    connect();
  }

  function onDisconnect() {
    state.stopped = true;
    state.closeReason = "";
    closeSocket();
    setStatus("offline", "offline");
    updateControls();
    saveSession();
  }

  function onJoin(event) {
    event.preventDefault();
    const name = ui.joinRoom.value.trim();
    if (!NAME_RE.test(name)) {
      showError("Room name must be " + NAME_RULE + ".", "client_invalid");
      return;
    }
    if (!state.rooms.has(name)) {
      ensureRoom(name);
      // When offline the join is sent with the others after the next welcome.
      if (isOpen()) send({ type: "join", room: name });
    }
    ui.joinRoom.value = "";
    selectRoom(name);
    ui.text.focus();
  }

  function onLeave() {
    const name = state.active;
    if (!name) return;
    const room = state.rooms.get(name);
    // Only a room the server knows we are in (or are joining) will answer with a leave confirmation.
    if (isOpen() && send({ type: "leave", room: name })) state.leaving.add(name);
    if (room) removeRoom(name);
  }

  function onSendRoom(event) {
    event.preventDefault();
    const content = ui.text.value;
    if (!content.trim()) return;
    const room = state.active ? state.rooms.get(state.active) : null;
    if (!room) {
      showError("Join or select a room first.", "client_invalid");
      return;
    }
    if (!isOpen()) {
      showError("Not connected.", "client_offline");
      return;
    }
    const id = newId();
    // Shown at once as pending; the ack fixes its time, seq and place (the server does not echo our message).
    const node = messageNode({ from: state.me, content, mine: true, pending: true });
    appendEntry(room, node);
    const frame = { type: "msg", room: room.name, content, id };
    state.pending.set(id, { node, view: room, frame });
    send(frame);
    ui.text.value = "";
  }

  function onSendPrivate(event) {
    event.preventDefault();
    const to = ui.to.value.trim();
    const content = ui.privateText.value;
    if (!NAME_RE.test(to)) {
      showError("Recipient must be " + NAME_RULE + ".", "client_invalid");
      ui.to.focus();
      return;
    }
    if (!content.trim()) return;
    if (!isOpen()) {
      showError("Not connected.", "client_offline");
      return;
    }
    const id = newId();
    const conv = ensureConversation(to);
    if (state.activePeer !== to) selectConversation(to);
    const node = messageNode({ from: state.me, to, content, isPrivate: true, mine: true, pending: true });
    appendEntry(conv, node);
    const frame = { type: "private", to, content, id };
    state.pending.set(id, { node, view: conv, to, frame });
    send(frame);
    ui.privateText.value = "";
  }

  /** Prefills the private message form, the quickest way to answer someone. */
  function startPrivate(name) {
    if (!name || name === state.me) return;
    selectConversation(name);
    ui.privateText.focus();
  }

  function onConversationClick(event) {
    const item = event.target.closest("[data-peer]");
    if (item) selectConversation(item.dataset.peer);
  }

  function onRoomClick(event) {
    const item = event.target.closest("[data-room]");
    if (item) selectRoom(item.dataset.room);
  }

  function onUserClick(event) {
    const item = event.target.closest("[data-user]");
    if (item) startPrivate(item.dataset.user);
  }

  function onNameClick(event) {
    const name = event.target.closest(".from, .to, .who");
    if (name) startPrivate(name.dataset.name);
  }

  /** Enter/Space on a focused list item acts like a click, for keyboard users. */
  function activateOnKey(handler) {
    return (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        handler(event);
      }
    };
  }

  // ---- start ------------------------------------------------------------------------------------------------

  ui.login.addEventListener("submit", onConnect);
  ui.disconnect.addEventListener("click", onDisconnect);
  ui.joinForm.addEventListener("submit", onJoin);
  ui.leave.addEventListener("click", onLeave);
  ui.sendForm.addEventListener("submit", onSendRoom);
  ui.privateForm.addEventListener("submit", onSendPrivate);
  ui.rooms.addEventListener("click", onRoomClick);
  ui.rooms.addEventListener("keydown", activateOnKey(onRoomClick));
  ui.users.addEventListener("click", onUserClick);
  ui.users.addEventListener("keydown", activateOnKey(onUserClick));
  ui.log.addEventListener("click", onNameClick);
  ui.direct.addEventListener("click", onNameClick);
  ui.errors.addEventListener("click", () => showError(""));
  ui.conversations.addEventListener("click", onConversationClick);
  ui.conversations.addEventListener("keydown", activateOnKey(onConversationClick));
  ui.loadOlder.addEventListener("click", loadOlder);
  ui.log.addEventListener("scroll", () => {
    if (ui.log.scrollTop < OLDER_PX) loadOlder();
  });

  // Phones start with the side panels folded, so the room's log gets the screen.
  if (window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
    for (const panel of ui.panels) panel.open = false;
  }

  // The token field only where the server wants tokens; unknown (an old server, no answer) keeps it.
  fetch("/healthz", { cache: "no-store" }).then((r) => (r.ok ? r.json() : null)).then((health) => {
    if (health && health.auth === "none" && !ui.token.value) ui.tokenField.hidden = true;
  }).catch(() => { /* keep the field */ });

  // Back online: no point waiting out the backoff.
  window.addEventListener("online", () => {
    if (!state.stopped && state.ws === null) connect();
  });

  try {
    ui.name.value = localStorage.getItem(STORAGE_KEY) || "";
  } catch (e) {
    // No storage: start with an empty name.
  }
  // A login page may hand over a token as #token=...: the fragment never reaches any server. Take it and wipe it
  // from the address bar and history so it is not bookmarked or shared by accident.
  const fragment = new URLSearchParams(location.hash.slice(1));
  const handedOver = fragment.get("token");
  if (handedOver) {
    ui.token.value = handedOver;
    history.replaceState(null, "", location.pathname + location.search);
  }
  setStatus("offline", "offline");
  // After a reload: the same name, the same rooms (joined again, with their recent history), connected again.
  const session = handedOver ? null : readSession();
  const restoring = session && session.reconnect === true && typeof session.name === "string"
    && NAME_RE.test(session.name);
  if (restoring) {
    ui.name.value = session.name;
    state.name = session.name; // the same identity: connectFromForm keeps the rooms restored here
    for (const name of Array.isArray(session.rooms) ? session.rooms : []) {
      if (typeof name === "string" && NAME_RE.test(name)) ensureRoom(name);
    }
    if (typeof session.active === "string" && state.rooms.has(session.active)) state.active = session.active;
  }
  renderAll();
  (ui.name.value || ui.token.value ? ui.connect : ui.name).focus();
  // A handed-over token is the login page saying "connect now": the name comes from the token.
  if (handedOver || restoring) connectFromForm();
})();
