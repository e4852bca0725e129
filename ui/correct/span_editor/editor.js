// The span editor, a Streamlit v2 component (no iframe, no build step, nothing fetched).
// Python owns the spans (ui/edit_state.py); this file owns only the selection. It draws the text
// it is given and turns mouse and keys into commands {token, seq, event, kind, start, end, label}.
// Every command not yet acknowledged (data.applied) is sent again with the next, as the state
// value "commands", so a key pressed while the script still runs is never lost.
//
// Offsets: Array.from(text) walks code points, so character i here is Python's text[i]
// (JavaScript's own string indexes count UTF-16 units: an emoji would count twice).

const STORE = (window.__nerSpanEditor = window.__nerSpanEditor || {}); // per editing state (token)
const EDITABLE = "input, textarea, select, [contenteditable=''], [contenteditable='true'], [role='textbox']";

// Listeners, once. Streamlit calls spanEditor again on every redraw, on the same root, and calls back
// only the last cleanup, at unmount (1.67): listeners added per call piled up, and one key acted once
// per redraw so far, on every document opened since the page loaded (issue 22). So the document and
// each root get their listeners once; these hand each event to the handlers of the latest draw.
const EDITORS = (window.__nerSpanEditors = window.__nerSpanEditors || {
  drawn: new Map(), // root -> the handlers of its latest draw
  active: null, // the root that keys go to: the last drawn or clicked
  wired: new WeakSet(), // roots that have their mouse listeners
  page: Math.random().toString(36).slice(2), // with a count, names each key press (commands' "event")
  presses: 0,
});
if (!EDITORS.listening) {
  EDITORS.listening = true;
  const active = () => (EDITORS.active?.isConnected ? EDITORS.drawn.get(EDITORS.active) : undefined);
  document.addEventListener("keydown", (event) => active()?.onKeyDown(event));
  document.addEventListener("mouseup", (event) => active()?.onMouseUp(event));
}

function wire(root) {
  if (EDITORS.wired.has(root)) return;
  EDITORS.wired.add(root);
  root.addEventListener("mousedown", (event) => {
    EDITORS.active = root; // of two editors on a page, keys go to the one clicked last
    EDITORS.drawn.get(root)?.onMouseDown(event);
  });
  root.addEventListener("mouseover", (event) => EDITORS.drawn.get(root)?.onMouseOver(event));
}

export default function spanEditor({ data, parentElement, setStateValue }) {
  const root = parentElement.querySelector(".ner-editor");
  const chars = Array.from(data.text);
  const mem = (STORE[data.token] = STORE[data.token] || { seq: 0, pending: [], selection: null, entity: null });
  mem.seq = Math.max(mem.seq, data.applied);
  mem.pending = mem.pending.filter((command) => command.seq > data.applied);
  const typeOfKey = {};
  for (const type of data.labels) {
    if (type.key) typeOfKey[type.key] = type.label; // the user's own types past the ninth have no key
    if (type.letter) typeOfKey[type.letter.toLowerCase()] = type.label;
  }
  const spans = data.spans.map(([start, end, label]) => ({ start, end, label }));
  const spanAt = new Array(chars.length).fill(null);
  for (const span of spans) for (let i = span.start; i < span.end; i++) spanAt[i] = span;

  // ---- drawing ----------------------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function keysLegend() {
    const bar = el("div", "keys");
    for (const type of data.labels) {
      const chip = el("span", "chip");
      chip.style.background = type.colour;
      for (const key of [type.key, type.letter]) if (key) chip.append(el("kbd", "", key));
      chip.append(` ${type.label} · ${type.name}`);
      bar.append(chip);
    }
    for (const [keys, what] of data.other_keys) {
      const item = el("span", "hint");
      for (const key of keys) item.append(el("kbd", "", key));
      item.append(` ${what}`);
      bar.append(item);
    }
    return bar;
  }

  function charNode(i) {
    const node = el("span", "c", chars[i]);
    node.dataset.i = i;
    return node;
  }

  function textNode() {
    const box = el("div", "text");
    for (let i = 0; i < chars.length; ) {
      const span = spanAt[i];
      if (!span) {
        box.append(charNode(i++));
        continue;
      }
      const mark = el("mark", "ent");
      const type = data.labels.find((t) => t.label === span.label);
      mark.style.background = type ? type.colour : "#e9ecef";
      Object.assign(mark.dataset, { start: span.start, end: span.end, label: span.label });
      for (; i < span.end; i++) mark.append(charNode(i));
      mark.append(el("span", "badge", span.label));
      box.append(mark);
    }
    return box;
  }

  function statusText() {
    if (mem.pending.length) return "Saving the edit…";
    if (mem.entity) {
      const { start, end, label } = mem.entity;
      return `Selected ${label} ${chars.slice(start, end).join("")} (${start}-${end}): a type key retypes it, Backspace deletes it.`;
    }
    if (mem.selection) {
      const [start, end] = mem.selection;
      return `Selected ${chars.slice(start, end).join("")} (${start}-${end}): press a type key to label it.`;
    }
    return "Drag across characters (or click the first and shift-click the last), then press a type key.";
  }

  function paint() {
    root.querySelectorAll(".c.sel").forEach((node) => node.classList.remove("sel"));
    root.querySelectorAll("mark.picked").forEach((node) => node.classList.remove("picked"));
    if (mem.selection) {
      const [start, end] = mem.selection;
      for (let i = start; i < end; i++) root.querySelector(`.c[data-i="${i}"]`)?.classList.add("sel");
    }
    if (mem.entity) root.querySelector(`mark[data-start="${mem.entity.start}"]`)?.classList.add("picked");
    root.querySelector(".status").textContent = statusText();
    root.classList.toggle("busy", mem.pending.length > 0);
  }

  root.replaceChildren(keysLegend(), textNode(), el("div", "status"));
  root.tabIndex = 0; // focusable: keys typed after a click come here, not to a text field
  if (mem.entity && !spans.some((s) => s.start === mem.entity.start && s.end === mem.entity.end)) mem.entity = null;
  paint();

  // ---- commands -----------------------------------------------------------------------------
  function send(event, kind, fields = {}) {
    // One name per key press, whoever handles it: Python applies a press once even if sent twice.
    event.nerPress = event.nerPress || `${EDITORS.page}-${++EDITORS.presses}`;
    mem.seq += 1;
    mem.pending.push({ token: data.token, seq: mem.seq, event: event.nerPress, kind, ...fields });
    mem.selection = mem.entity = null;
    paint();
    setStateValue("commands", mem.pending.slice());
  }

  // ---- mouse: drag, click, shift-click (the drag in mem: a redraw may come between down and up) --
  const indexOf = (event) => {
    const node = event.target.closest?.("[data-i]");
    return node ? Number(node.dataset.i) : null;
  };
  const range = (a, b) => [Math.min(a, b), Math.max(a, b) + 1];

  function onMouseDown(event) {
    if (event.button !== 0) return;
    const badge = event.target.closest?.(".badge");
    const i = badge ? Number(badge.parentElement.dataset.start) : indexOf(event);
    if (i === null) return;
    event.preventDefault(); // no native text selection: ours is drawn
    root.focus({ preventScroll: true });
    if (event.shiftKey && mem.anchor !== undefined && mem.anchor !== null) {
      mem.selection = range(mem.anchor, i);
      mem.entity = null;
      paint();
      return;
    }
    mem.anchor = i;
    mem.drag = { anchor: i, moved: false, onBadge: Boolean(badge) };
  }

  function onMouseOver(event) {
    const drag = mem.drag;
    if (!drag) return;
    const i = indexOf(event);
    if (i === null || (i === drag.anchor && !drag.moved)) return;
    drag.moved = true;
    mem.selection = range(drag.anchor, i);
    mem.entity = null;
    paint();
  }

  function onMouseUp() {
    if (!mem.drag) return;
    const { anchor, moved } = mem.drag;
    mem.drag = null;
    if (moved) return;
    const span = spanAt[anchor];
    if (span) {
      mem.entity = span; // a click on an entity picks it
      mem.selection = null;
    } else {
      mem.selection = [anchor, anchor + 1];
      mem.entity = null;
    }
    paint();
  }

  // ---- keys ---------------------------------------------------------------------------------
  function onKeyDown(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.composedPath()[0];
    if (target instanceof Element && target.closest(EDITABLE)) return; // typing in a field
    const key = event.key;
    const onButton = target instanceof Element && target.closest("button, a");
    const type = typeOfKey[key.toLowerCase()];
    if (type) {
      const picked = mem.selection || (mem.entity && [mem.entity.start, mem.entity.end]);
      if (!picked) return;
      send(event, "label", { start: picked[0], end: picked[1], label: type });
    } else if ((key === "Backspace" || key === "Delete") && mem.entity) {
      send(event, "delete", { start: mem.entity.start, end: mem.entity.end });
    } else if (key === "z" || key === "Z") {
      send(event, "undo");
    } else if (key === "Enter" && !onButton) {
      send(event, "accept");
    } else if (key === "s" || key === "S") {
      send(event, "skip");
    } else if (key === "Escape" && (mem.selection || mem.entity)) {
      mem.selection = mem.entity = null;
      paint();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  const handlers = { onMouseDown, onMouseOver, onMouseUp, onKeyDown };
  for (const old of EDITORS.drawn.keys()) if (!old.isConnected) EDITORS.drawn.delete(old); // never cleaned up
  EDITORS.drawn.set(root, handlers);
  EDITORS.active = root;
  wire(root);
  return () => {
    // Only this draw's own: a cleanup that comes late must not unhook a newer draw.
    if (EDITORS.drawn.get(root) !== handlers) return;
    EDITORS.drawn.delete(root);
    if (EDITORS.active === root) EDITORS.active = null;
  };
}
