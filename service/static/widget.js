/*
 * <kb-search> — the kbqa knowledge-base search widget.
 *
 * Embed it on any intranet page with one script tag and one element:
 *
 *   <script src="https://kb.example/widget.js" defer></script>
 *   <kb-search api="https://kb.example"></kb-search>
 *
 * A page on another origin can only use the service when that origin is in the service's CORS
 * allow-list (setting KBQA_CORS_ORIGINS, a JSON list; default: same origin only).
 *
 * Attributes
 *   api          base URL of the kbqa service (default: the origin this script was loaded from)
 *   theme        "light" | "dark" | "auto" (default "auto": follows prefers-color-scheme)
 *   placeholder  placeholder of the search field
 *   label        text of the closed search button (default "Search the knowledge base")
 *   target       "_blank" opens sources in a new tab (default: same tab)
 *   hotkeys      "off" disables the page-wide "/" and Ctrl/Cmd+K shortcuts
 *
 * Theming: set CSS custom properties on the element from the host page, for instance
 *   kb-search { --kb-accent: #7a1fa2; --kb-radius: 4px; --kb-font: Georgia, serif; }
 * (the full list is at the top of CSS below), or style the exposed parts with ::part().
 *
 * Events: "kb-open", "kb-close" and "kb-answer" (detail: the /ask response) bubble out of the
 * element.
 *
 * Safety: nothing that comes from the knowledge base or from the user is ever parsed as HTML.
 * Text goes in with createTextNode/textContent; highlights are <mark> elements built from
 * character offsets; links are built from our own URL pattern and numeric offsets only.
 *
 * No build step, no dependencies: this file is served as is by the service at /widget.js.
 */
(() => {
  "use strict";

  const TAG = "kb-search";
  if (!window.customElements || window.customElements.get(TAG)) return;

  // The origin this script came from: the default API base, so that
  // <script src="https://kb.example/widget.js"> + <kb-search> works without an api attribute.
  const SCRIPT_ORIGIN = (() => {
    try {
      const script = document.currentScript;
      if (script && script.src) return new URL(script.src, document.baseURI).origin;
    } catch (_) {
      /* fall through */
    }
    return window.location.origin;
  })();

  const SEARCH_DEBOUNCE_MS = 150;
  const MIN_QUERY_CHARS = 2;
  const SEARCH_K = 8;
  const ASK_TOP_K = 5;
  const SNIPPET_CHARS = 240;
  const EVIDENCE_CHARS = 420;
  const IS_MAC = /Mac|iPhone|iPad|iPod/.test(navigator.userAgent);

  // Words too common to be worth highlighting as "matched terms".
  const STOPWORDS = new Set(
    (
      "a about an and are as at be but by can could do does did for from has have how i if in into is " +
      "it its me my no not of on or our should so than that the their them then there these they this " +
      "to vs was we were what when where which who whom why will with would you your"
    ).split(" ")
  );

  // One dark palette, used by the system preference and by theme="dark".
  const DARK = `
  --kb-bg: #171b21;
  --kb-surface: #20252d;
  --kb-fg: #e5eaf0;
  --kb-muted: #9ea8b4;
  --kb-border: #3a434e;
  --kb-accent: #7fb0ff;
  --kb-accent-fg: #0d1420;
  --kb-focus: #8ab8ff;
  --kb-active-bg: #243246;
  --kb-term-bg: #5a4a00;
  --kb-term-fg: #fff6c8;
  --kb-answer-bg: #1f5a31;
  --kb-answer-fg: #e3ffe9;
  --kb-high: #6fd38b;
  --kb-medium: #f0b85a;
  --kb-low: #ff8f86;
  --kb-backdrop: rgba(0, 0, 0, 0.62);
  --kb-shadow: 0 20px 60px rgba(0, 0, 0, 0.6);
  color-scheme: dark;
`;

  const CSS = `
:host {
  all: initial;
  display: inline-block;
  max-width: 100%;
  vertical-align: middle;

  /* Theme: override any of these on the kb-search element from the host page. */
  --kb-font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --kb-font-size: 15px;
  --kb-radius: 10px;
  --kb-bg: #ffffff;
  --kb-surface: #f4f6f9;
  --kb-fg: #1a1f26;
  --kb-muted: #56606b;
  --kb-border: #cfd6de;
  --kb-accent: #0b57d0;
  --kb-accent-fg: #ffffff;
  --kb-focus: #0b57d0;
  --kb-active-bg: #e6eefc;
  --kb-term-bg: #fff0a0;
  --kb-term-fg: inherit;
  --kb-answer-bg: #b9e8c6;
  --kb-answer-fg: #0b2914;
  --kb-high: #137333;
  --kb-medium: #a15c00;
  --kb-low: #b3261e;
  --kb-backdrop: rgba(12, 17, 24, 0.5);
  --kb-shadow: 0 20px 60px rgba(12, 17, 24, 0.3);
  --kb-z: 2147483000;

  color-scheme: light;
  font-family: var(--kb-font);
  font-size: var(--kb-font-size);
  line-height: 1.45;
  color: var(--kb-fg);
}

@media (prefers-color-scheme: dark) {
  :host(:not([theme="light"])) {
${DARK}
  }
}
:host([theme="dark"]) {
${DARK}
}

*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
button, input { font: inherit; color: inherit; }
:focus { outline: none; }
:focus-visible { outline: 3px solid var(--kb-focus); outline-offset: 2px; }
kbd {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.78em; line-height: 1; padding: 3px 6px; border-radius: 5px;
  border: 1px solid var(--kb-border); background: var(--kb-surface); color: var(--kb-muted);
}

/* The closed state: a button that looks like a search field. */
.trigger {
  display: flex; align-items: center; gap: 8px; width: 100%; min-width: 0; max-width: 100%;
  padding: 7px 10px 7px 12px; border: 1px solid var(--kb-border); border-radius: var(--kb-radius);
  background: var(--kb-bg); color: var(--kb-muted); cursor: pointer; text-align: start;
}
.trigger:hover { border-color: var(--kb-accent); color: var(--kb-fg); }
.trigger-label { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.trigger-keys { display: inline-flex; gap: 4px; flex: none; }
.icon { width: 18px; height: 18px; flex: none; fill: none; stroke: currentColor; stroke-width: 2;
  stroke-linecap: round; stroke-linejoin: round; }

/* The open state: a dialog over the page (full screen on narrow screens). */
.backdrop {
  position: fixed; inset: 0; z-index: var(--kb-z); display: flex; justify-content: center;
  align-items: flex-start; padding: 8vh 16px 16px; background: var(--kb-backdrop);
}
.dialog {
  display: flex; flex-direction: column; width: min(720px, 100%); max-height: 84vh;
  background: var(--kb-bg); color: var(--kb-fg); border: 1px solid var(--kb-border);
  border-radius: var(--kb-radius); box-shadow: var(--kb-shadow); overflow: hidden;
  font-family: var(--kb-font); font-size: var(--kb-font-size); line-height: 1.45;
}
.bar {
  display: flex; align-items: center; gap: 8px; padding: 10px 12px;
  border-bottom: 1px solid var(--kb-border);
}
.bar .icon { color: var(--kb-muted); }
.input {
  flex: 1 1 auto; min-width: 0; padding: 8px 4px; border: 0; background: transparent;
  font-size: 1.08em;
}
.input::placeholder { color: var(--kb-muted); opacity: 1; }
.input:focus-visible { outline: none; }
.bar:focus-within { box-shadow: inset 0 -2px 0 var(--kb-focus); }
.ask, .close {
  flex: none; border-radius: calc(var(--kb-radius) * 0.7); cursor: pointer; padding: 7px 12px;
}
.ask { border: 1px solid var(--kb-accent); background: var(--kb-accent); color: var(--kb-accent-fg); font-weight: 600; }
.ask:hover { filter: brightness(1.08); }
.close { border: 1px solid var(--kb-border); background: var(--kb-surface); color: var(--kb-muted); padding: 6px 9px; }
.close-narrow { display: none; }
.spinner {
  width: 16px; height: 16px; flex: none; border-radius: 50%;
  border: 2px solid var(--kb-border); border-top-color: var(--kb-accent);
  animation: kb-spin 0.8s linear infinite;
}
@keyframes kb-spin { to { transform: rotate(360deg); } }

.body { overflow-y: auto; overscroll-behavior: contain; padding: 4px 0 10px; flex: 1 1 auto; }
.message { margin: 14px 16px; color: var(--kb-muted); }
.message.error { color: var(--kb-low); }

.answer {
  margin: 12px 12px 4px; padding: 12px 14px; border-radius: var(--kb-radius);
  background: var(--kb-surface); border: 1px solid var(--kb-border);
}
.answer-label, .abstain-title {
  margin: 0 0 4px; font-size: 0.78em; font-weight: 700; letter-spacing: 0.06em;
  text-transform: uppercase; color: var(--kb-muted);
}
.answer-text { margin: 0; font-size: 1.05em; font-weight: 600; overflow-wrap: anywhere; white-space: pre-line; }
.table-scroll { max-width: 100%; overflow-x: auto; }
.answer-table { border-collapse: collapse; margin: 2px 0 0; font-size: 0.95em; font-weight: 400; overflow-wrap: normal; }
.answer-table th, .answer-table td {
  border: 1px solid var(--kb-border); padding: 3px 8px; text-align: start; vertical-align: top;
}
.answer-table th { background: var(--kb-bg); font-weight: 700; }
.option-source {
  display: inline-block; margin: 0 10px 8px; font-size: 0.85em; color: var(--kb-accent);
}
.confidence { display: flex; align-items: center; gap: 8px; margin-top: 8px; font-size: 0.86em; color: var(--kb-muted); }
.meter { position: relative; width: 72px; height: 6px; flex: none; border-radius: 3px; background: var(--kb-border); overflow: hidden; }
.meter-fill { position: absolute; inset: 0 auto 0 0; border-radius: 3px; background: var(--kb-muted); }
.confidence[data-level="high"] .meter-fill { background: var(--kb-high); }
.confidence[data-level="medium"] .meter-fill { background: var(--kb-medium); }
.confidence[data-level="low"] .meter-fill { background: var(--kb-low); }
.confidence[data-level="high"] .confidence-text { color: var(--kb-high); }
.confidence[data-level="medium"] .confidence-text { color: var(--kb-medium); }
.confidence[data-level="low"] .confidence-text { color: var(--kb-low); }
.abstain { border-style: dashed; }
.abstain .abstain-title { color: var(--kb-fg); font-size: 0.95em; letter-spacing: 0; text-transform: none; }
.abstain-reason { margin: 0; color: var(--kb-muted); font-size: 0.92em; overflow-wrap: anywhere; }

.listbox { margin: 0; padding: 0; list-style: none; }
.article-title {
  margin: 12px 16px 2px; font-weight: 700; font-size: 0.95em; overflow-wrap: anywhere;
}
.group { margin: 0 8px; }
.group-label {
  margin: 6px 8px 2px; font-size: 0.8em; color: var(--kb-muted); overflow-wrap: anywhere;
}
.heading-label {
  margin: 14px 16px 4px; font-size: 0.78em; font-weight: 700; letter-spacing: 0.06em;
  text-transform: uppercase; color: var(--kb-muted);
}
.option {
  display: block; margin: 2px 0; border-radius: calc(var(--kb-radius) * 0.7);
  border: 2px solid transparent; cursor: pointer;
}
.option[aria-selected="true"] { background: var(--kb-active-bg); border-color: var(--kb-focus); }
.option-link { display: block; padding: 8px 10px; color: inherit; text-decoration: none; }
.option-where { display: block; font-size: 0.8em; color: var(--kb-muted); margin-bottom: 2px; overflow-wrap: anywhere; }
.option-excerpt { display: block; overflow-wrap: anywhere; white-space: pre-line; }
.option-open { display: inline-block; margin-top: 4px; font-size: 0.85em; color: var(--kb-accent); font-weight: 600; }
.option-link:hover .option-open { text-decoration: underline; }
mark { border-radius: 3px; padding: 0 1px; }
mark.term { background: var(--kb-term-bg); color: var(--kb-term-fg); }
mark.answer-span {
  background: var(--kb-answer-bg); color: var(--kb-answer-fg); font-weight: 600;
  box-shadow: 0 0 0 1px var(--kb-high);
}
.ellipsis { color: var(--kb-muted); }

.footer {
  display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 8px 14px; font-size: 0.8em;
  color: var(--kb-muted); border-top: 1px solid var(--kb-border); background: var(--kb-surface);
}

@media (max-width: 560px) {
  .backdrop { padding: 0; }
  .dialog { width: 100%; height: 100%; max-height: none; border-radius: 0; border: 0; }
  .bar { padding: 8px; gap: 6px; }
  .ask { padding: 7px 10px; }
  .close-wide { display: none; }
  .close-narrow { display: inline; }
  .footer { display: none; }
  .trigger-keys { display: none; }
}
@media (prefers-reduced-motion: reduce) {
  .spinner { animation: none; }
}
`;

  // ---------------------------------------------------------------------------------------
  // Small helpers. `h` is the only way elements are made: attributes via setAttribute, text
  // via text nodes. Nothing here ever assigns HTML.

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  function searchIcon() {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const circle = document.createElementNS(SVG_NS, "circle");
    circle.setAttribute("cx", "11");
    circle.setAttribute("cy", "11");
    circle.setAttribute("r", "7");
    const line = document.createElementNS(SVG_NS, "path");
    line.setAttribute("d", "M20 20l-4-4");
    svg.append(circle, line);
    return svg;
  }

  let sharedSheet = null;
  function adoptStyles(root) {
    // Constructable stylesheets are not inline styles, so a strict style-src CSP on the host
    // page does not block them; older browsers get a <style> element.
    try {
      if (!sharedSheet) {
        sharedSheet = new CSSStyleSheet();
        sharedSheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sharedSheet];
    } catch (_) {
      root.appendChild(h("style", {}, CSS));
    }
  }

  function isEditable(node) {
    if (!(node instanceof Element)) return false;
    if (node.isContentEditable) return true;
    return node.tagName === "INPUT" || node.tagName === "TEXTAREA" || node.tagName === "SELECT";
  }

  // The API counts offsets in Unicode code points (Python strings); JavaScript strings are
  // indexed in UTF-16 code units. Convert, so text with emoji or rare CJK still lines up.
  function codePointsToUnits(text, offset) {
    if (!/[\uD800-\uDFFF]/.test(text)) return offset;
    let units = 0;
    let seen = 0;
    for (const ch of text) {
      if (seen >= offset) break;
      units += ch.length;
      seen += 1;
    }
    return units;
  }

  function queryTerms(query) {
    const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [];
    const terms = [];
    for (const word of words) {
      if (STOPWORDS.has(word) || terms.includes(word)) continue;
      if (word.length >= 2 || /\p{N}/u.test(word)) terms.push(word);
    }
    return terms;
  }

  // Ranges [start, end) of the words of `text` that match a query term: the same word, a word
  // the term begins (term of 3+ letters: "respons" -> "responsibilities"), or a word of 4+
  // letters that begins the term ("outranks" -> "outrank").
  function termRanges(text, terms) {
    const ranges = [];
    if (!terms.length) return ranges;
    const wordRe = /[\p{L}\p{N}]+/gu;
    let match;
    while ((match = wordRe.exec(text)) !== null) {
      const word = match[0].toLowerCase();
      const hit = terms.some(
        (t) => word === t || (t.length >= 3 && word.startsWith(t)) || (word.length >= 4 && t.startsWith(word))
      );
      if (hit) ranges.push([match.index, match.index + match[0].length]);
    }
    return ranges;
  }

  function mergeRanges(ranges, length) {
    const sorted = ranges
      .map(([s, e]) => [Math.max(0, Math.min(s, length)), Math.max(0, Math.min(e, length))])
      .filter(([s, e]) => e > s)
      .sort((a, b) => a[0] - b[0]);
    const out = [];
    for (const r of sorted) {
      const last = out[out.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else out.push([r[0], r[1]]);
    }
    return out;
  }

  // A window of about `maxChars` of `text` around its first range, cut at word boundaries.
  function snippet(text, ranges, maxChars) {
    if (text.length <= maxChars) return { text, ranges, head: false, tail: false };
    const first = ranges[0] || [0, 0];
    const span = Math.max(maxChars, first[1] - first[0] + 60);
    let start = 0;
    if (first[0] > 60) {
      // Prefer to start at the sentence the range is in, else a little before the range.
      const sentence = text.lastIndexOf(". ", first[0]);
      start = sentence >= 0 && first[0] - sentence < 160 ? sentence + 2 : first[0] - 60;
    }
    start = Math.max(0, Math.min(start, text.length - span));
    if (start > 0) {
      const space = text.indexOf(" ", start);
      if (space >= 0 && space < first[0] && space - start < 20) start = space + 1;
    }
    let end = Math.min(text.length, start + span);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      if (space > start && space >= first[1]) end = space;
    }
    const shifted = ranges
      .filter(([s, e]) => e > start && s < end)
      .map(([s, e]) => [Math.max(s, start) - start, Math.min(e, end) - start]);
    return { text: text.slice(start, end), ranges: shifted, head: start > 0, tail: end < text.length };
  }

  // Text copied from web pages carries HTML character references ("world&#8217;s", "Tea &amp;
  // coffee"). They are shown as the characters they stand for, still as plain text (never parsed
  // as HTML: "&lt;b&gt;" shows "<b>"). Offsets and ranges apply to the raw text, so each piece is
  // cut first and decoded after.
  const NAMED_REFERENCES = {
    amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", ndash: "\u2013", mdash: "\u2014",
    hellip: "\u2026", lsquo: "\u2018", rsquo: "\u2019", ldquo: "\u201c", rdquo: "\u201d", laquo: "\u00ab",
    raquo: "\u00bb", bull: "\u2022", middot: "\u00b7", deg: "\u00b0", times: "\u00d7", copy: "\u00a9",
    reg: "\u00ae", trade: "\u2122", euro: "\u20ac", pound: "\u00a3", yen: "\u00a5", cent: "\u00a2",
    sect: "\u00a7", para: "\u00b6", shy: "\u00ad",
  };
  function shown(text) {
    return String(text).replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,6}));/g, (ref, dec, hex, name) => {
      if (name) return Object.prototype.hasOwnProperty.call(NAMED_REFERENCES, name) ? NAMED_REFERENCES[name] : ref;
      const code = dec ? parseInt(dec, 10) : parseInt(hex, 16);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : ref;
    });
  }

  // Appends `text` to `parent` as text nodes, with <mark class=cls> around the ranges.
  // (`decode` false: the text is already what a person reads — the API's `display`.)
  function appendMarked(parent, text, ranges, cls, decode = true) {
    const as = decode ? shown : (t) => t;
    let pos = 0;
    for (const [s, e] of mergeRanges(ranges, text.length)) {
      if (s > pos) parent.appendChild(document.createTextNode(as(text.slice(pos, s))));
      parent.appendChild(h("mark", { class: cls }, as(text.slice(s, e))));
      pos = e;
    }
    if (pos < text.length) parent.appendChild(document.createTextNode(as(text.slice(pos))));
  }

  // What a person reads of a citation: the API's `display` (Markdown syntax gone, table rows as
  // "column: value" pairs) with the answer located in it, else the verbatim excerpt.
  function readable(c) {
    if (typeof c.display === "string" && c.display) {
      const hl = validRange(c.display_highlight) ? [codePointRange(c.display, c.display_highlight)] : [];
      return { text: c.display, answer: hl, decode: false };
    }
    const hl = validRange(c.highlight) ? [codePointRange(c.excerpt, c.highlight)] : [];
    return { text: c.excerpt, answer: hl, decode: true };
  }

  function validRange(r) {
    return Array.isArray(r) && r.length === 2 && r.every(Number.isInteger);
  }

  function codePointRange(text, range) {
    return range.map((cp) => codePointsToUnits(text, cp));
  }

  // A document's original page: only an http(s) URL is ever linked.
  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  // Table rows ([[column, value], ...] each) as a small table: one row as column/value lines,
  // several rows under one header when they share their columns.
  function rowsTable(rows) {
    const table = h("table", { class: "answer-table" });
    const columns = rows[0].map((pair) => String(pair[0]));
    const shared = rows.length > 1 && rows.every((r) => r.length === columns.length && r.every((p, i) => String(p[0]) === columns[i]));
    if (shared) {
      table.appendChild(h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col" }, c)))));
      table.appendChild(h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((p) => h("td", {}, String(p[1])))))));
    } else {
      const body = h("tbody");
      for (const row of rows) for (const [column, value] of row) body.appendChild(h("tr", {}, h("th", { scope: "row" }, String(column)), h("td", {}, String(value))));
      table.appendChild(body);
    }
    return table;
  }

  function isRows(rows) {
    return Array.isArray(rows) && rows.length > 0 && rows.every((r) => Array.isArray(r) && r.length > 0 && r.every((p) => Array.isArray(p) && p.length === 2));
  }

  function sectionLabel(section) {
    // FAQ questions head their answers' sections: shown without their "Q:" and emphasis marks.
    const parts = String(section || "")
      .split(" > ")
      .map((p) => p.trim().replace(/^(?:Q|Question)\s*[:.]\s*/i, "").replace(/\*\*|__/g, ""))
      .filter(Boolean);
    return parts.length ? parts.join(" › ") : "Introduction";
  }

  function confidenceLevel(value) {
    if (value >= 0.75) return "high";
    if (value >= 0.5) return "medium";
    return "low";
  }

  function isCitation(c) {
    return (
      c !== null &&
      typeof c === "object" &&
      typeof c.doc_id === "string" &&
      typeof c.excerpt === "string" &&
      Number.isInteger(c.start) &&
      Number.isInteger(c.end)
    );
  }

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.name = "ApiError";
      this.status = status;
    }
  }

  function errorDetail(body, status) {
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail) && detail.length && detail[0] && typeof detail[0].msg === "string") {
      return detail[0].msg;
    }
    return `The knowledge base answered with an error (HTTP ${status}).`;
  }

  let instances = 0;

  class KbSearch extends HTMLElement {
    static get observedAttributes() {
      return ["placeholder", "label"];
    }

    constructor() {
      super();
      instances += 1;
      this._uid = `kbs${instances}`;
      this._options = []; // [{node, href}] in display order
      this._active = -1;
      this._timer = 0;
      this._abort = null;
      this._seq = 0; // bumped for every new request; responses of older ones are dropped
      this._onGlobalKey = this._onGlobalKey.bind(this);
      const root = this.attachShadow({ mode: "open" });
      adoptStyles(root);
      this._build(root);
    }

    connectedCallback() {
      document.addEventListener("keydown", this._onGlobalKey);
      this._applyText();
    }

    disconnectedCallback() {
      document.removeEventListener("keydown", this._onGlobalKey);
      this._cancelPending();
    }

    attributeChangedCallback() {
      if (this._input) this._applyText();
    }

    // --- public API ---------------------------------------------------------------------

    get apiBase() {
      const attr = (this.getAttribute("api") || "").trim();
      const base = attr ? new URL(attr, document.baseURI).href : SCRIPT_ORIGIN;
      return base.replace(/\/+$/, "");
    }

    get isOpen() {
      return !this._backdrop.hidden;
    }

    open() {
      if (!this.isOpen) {
        this._backdrop.hidden = false;
        this._trigger.setAttribute("aria-expanded", "true");
        this.dispatchEvent(new CustomEvent("kb-open", { bubbles: true, composed: true }));
      }
      this._input.focus();
      this._input.select();
    }

    close() {
      if (!this.isOpen) return;
      this._cancelPending();
      this._setBusy(false);
      this._setActive(-1);
      this._backdrop.hidden = true;
      this._trigger.setAttribute("aria-expanded", "false");
      this._trigger.focus();
      this.dispatchEvent(new CustomEvent("kb-close", { bubbles: true, composed: true }));
    }

    // --- construction -------------------------------------------------------------------

    _build(root) {
      const id = (name) => `${this._uid}-${name}`;

      this._triggerLabel = h("span", { class: "trigger-label" });
      this._trigger = h(
        "button",
        { type: "button", class: "trigger", part: "trigger", "aria-haspopup": "dialog", "aria-expanded": "false" },
        searchIcon(),
        this._triggerLabel,
        h("span", { class: "trigger-keys", "aria-hidden": "true" }, h("kbd", {}, "/"), h("kbd", {}, IS_MAC ? "⌘K" : "Ctrl K"))
      );
      this._trigger.addEventListener("click", () => this.open());

      this._input = h("input", {
        id: id("input"),
        class: "input",
        part: "input",
        type: "text",
        role: "combobox",
        autocomplete: "off",
        autocapitalize: "off",
        spellcheck: "false",
        enterkeyhint: "search",
        "aria-autocomplete": "list",
        "aria-haspopup": "listbox",
        "aria-expanded": "false",
        "aria-controls": id("listbox"),
        "aria-describedby": id("hints"),
      });
      this._input.addEventListener("input", () => this._onInput());
      this._input.addEventListener("keydown", (e) => this._onInputKey(e));

      this._spinner = h("span", { class: "spinner", "aria-hidden": "true", hidden: true });
      const askButton = h("button", { type: "button", class: "ask", part: "ask-button" }, "Ask");
      askButton.addEventListener("click", () => this.ask());
      const closeButton = h(
        "button",
        { type: "button", class: "close", "aria-label": "Close search" },
        h("span", { class: "close-wide", "aria-hidden": "true" }, "Esc"),
        h("span", { class: "close-narrow", "aria-hidden": "true" }, "✕")
      );
      closeButton.addEventListener("click", () => this.close());

      const inputLabel = h("label", { class: "sr-only", for: id("input") }, "Search or ask the knowledge base");
      const bar = h("div", { class: "bar", role: "search" }, searchIcon(), inputLabel, this._input, this._spinner, askButton, closeButton);

      // Visible messages (no results, errors) and, separately, a polite live region that
      // announces results and answers to screen readers.
      this._message = h("p", { class: "message", part: "message", hidden: true });
      this._live = h("div", { class: "sr-only", role: "status", "aria-live": "polite", "aria-atomic": "true" });
      this._answer = h("section", { class: "answer", part: "answer", hidden: true, "aria-label": "Answer" });
      this._listbox = h("div", {
        id: id("listbox"),
        class: "listbox",
        part: "listbox",
        role: "listbox",
        "aria-label": "Results",
      });
      this._listbox.addEventListener("mousemove", (e) => {
        const option = e.target instanceof Element ? e.target.closest('[role="option"]') : null;
        if (option) this._setActive(this._options.findIndex((o) => o.node === option), false);
      });
      const body = h("div", { class: "body" }, this._message, this._answer, this._listbox);

      const hints = h(
        "div",
        { id: id("hints"), class: "footer" },
        h("span", {}, h("kbd", {}, "↑"), " ", h("kbd", {}, "↓"), " to move"),
        h("span", {}, h("kbd", {}, "Enter"), " to ask or open"),
        h("span", {}, h("kbd", {}, "Esc"), " to close")
      );

      this._dialog = h(
        "div",
        { class: "dialog", part: "dialog", role: "dialog", "aria-modal": "true", "aria-label": "Knowledge base search" },
        bar,
        body,
        hints,
        this._live
      );
      this._dialog.addEventListener("keydown", (e) => this._onDialogKey(e));
      this._backdrop = h("div", { class: "backdrop", part: "backdrop", hidden: true }, this._dialog);
      this._backdrop.addEventListener("mousedown", (e) => {
        if (e.target === this._backdrop) this.close();
      });

      root.append(this._trigger, this._backdrop);
      this._focusables = [this._input, askButton, closeButton];
    }

    _applyText() {
      this._triggerLabel.textContent = this.getAttribute("label") || "Search the knowledge base";
      this._input.placeholder = this.getAttribute("placeholder") || "Search, or ask a question and press Enter";
    }

    // --- keyboard -----------------------------------------------------------------------

    _onGlobalKey(e) {
      if (e.defaultPrevented || e.isComposing || this.getAttribute("hotkeys") === "off") return;
      const isK = (e.key === "k" || e.key === "K") && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;
      const isSlash = e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey;
      if (!isK && !isSlash) return;
      if (isSlash && isEditable(e.composedPath()[0])) return; // typing a "/" somewhere
      e.preventDefault();
      if (isK && this.isOpen) this.close();
      else this.open();
    }

    _onInputKey(e) {
      if (e.isComposing) return;
      switch (e.key) {
        case "ArrowDown":
          e.preventDefault();
          this._move(1);
          break;
        case "ArrowUp":
          e.preventDefault();
          this._move(-1);
          break;
        case "Enter":
          e.preventDefault();
          if (this._active >= 0) this._openOption(this._active, e.ctrlKey || e.metaKey);
          else this.ask();
          break;
        default:
          break;
      }
    }

    _onDialogKey(e) {
      if (e.key === "Escape" && !e.isComposing) {
        e.preventDefault();
        e.stopPropagation();
        this.close();
      } else if (e.key === "Tab") {
        // Keep focus inside the modal dialog.
        const items = this._focusables;
        const current = items.indexOf(this.shadowRoot.activeElement);
        const next = (current + (e.shiftKey ? -1 : 1) + items.length) % items.length;
        e.preventDefault();
        items[current < 0 ? 0 : next].focus();
      }
    }

    _move(delta) {
      const n = this._options.length;
      if (!n) return;
      let next;
      if (this._active < 0) next = delta > 0 ? 0 : n - 1;
      else next = this._active + delta;
      if (next >= n) next = 0;
      if (next < -1) next = n - 1;
      this._setActive(next);
    }

    _setActive(index, scroll = true) {
      if (index === this._active) return;
      const previous = this._options[this._active];
      if (previous) previous.node.setAttribute("aria-selected", "false");
      this._active = index;
      const current = this._options[index];
      if (current) {
        current.node.setAttribute("aria-selected", "true");
        this._input.setAttribute("aria-activedescendant", current.node.id);
        if (scroll) current.node.scrollIntoView({ block: "nearest" });
      } else {
        this._active = -1;
        this._input.removeAttribute("aria-activedescendant");
      }
    }

    _openOption(index, newTab) {
      const option = this._options[index];
      if (!option) return;
      if (newTab || this.getAttribute("target") === "_blank") window.open(option.href, "_blank", "noopener");
      else window.location.assign(option.href);
    }

    // --- requests -----------------------------------------------------------------------

    _url(path, params) {
      const url = new URL(this.apiBase + path);
      for (const [key, value] of Object.entries(params || {})) url.searchParams.set(key, String(value));
      return url.href;
    }

    _viewUrl(citation) {
      const url = new URL(`${this.apiBase}/documents/${encodeURIComponent(citation.doc_id)}/view`);
      url.searchParams.set("start", String(citation.start));
      url.searchParams.set("end", String(citation.end));
      url.hash = "kb-cited";
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : "about:blank";
    }

    async _fetchJson(url, init) {
      let response;
      try {
        response = await fetch(url, {
          ...init,
          mode: "cors",
          credentials: "omit",
          headers: { Accept: "application/json", ...(init.headers || {}) },
        });
      } catch (err) {
        if (err && err.name === "AbortError") throw err;
        // Network failure, or the browser refused the response (origin not allowed by CORS).
        throw new ApiError(`Could not reach the knowledge base at ${this.apiBase}.`, 0);
      }
      let body = null;
      try {
        body = await response.json();
      } catch (_) {
        body = null;
      }
      if (!response.ok) throw new ApiError(errorDetail(body, response.status), response.status);
      if (body === null || typeof body !== "object") throw new ApiError("The knowledge base sent an unreadable answer.", response.status);
      return body;
    }

    _cancelPending() {
      clearTimeout(this._timer);
      this._seq += 1;
      if (this._abort) this._abort.abort();
      this._abort = null;
    }

    _begin() {
      this._cancelPending();
      this._abort = new AbortController();
      this._setBusy(true);
      return { seq: this._seq, signal: this._abort.signal };
    }

    _setBusy(busy) {
      this._spinner.hidden = !busy;
      this._listbox.setAttribute("aria-busy", busy ? "true" : "false");
    }

    _onInput() {
      this._cancelPending();
      this._setBusy(false);
      // The text changed: Enter now asks the new text, not opens a result of the old one.
      this._setActive(-1);
      const query = this._input.value.trim();
      if (query.length < MIN_QUERY_CHARS) {
        this._reset();
        return;
      }
      this._timer = setTimeout(() => this._search(query), SEARCH_DEBOUNCE_MS);
    }

    async _search(query) {
      const { seq, signal } = this._begin();
      try {
        const data = await this._fetchJson(this._url("/search", { q: query, k: SEARCH_K }), { signal });
        if (seq !== this._seq) return;
        this._renderSearch(query, Array.isArray(data.results) ? data.results.filter(isCitation) : []);
      } catch (err) {
        if (seq === this._seq && !(err && err.name === "AbortError")) this._renderError(err);
      } finally {
        if (seq === this._seq) this._setBusy(false);
      }
    }

    async ask(question) {
      if (typeof question === "string") this._input.value = question;
      const query = this._input.value.trim();
      if (!query) {
        this._reset();
        this._showMessage("Type a question, then press Enter.");
        this._input.focus();
        return;
      }
      const { seq, signal } = this._begin();
      this._announce("Looking for an answer…");
      try {
        const data = await this._fetchJson(this._url("/ask"), {
          method: "POST",
          signal,
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ question: query, top_k: ASK_TOP_K }),
        });
        if (seq !== this._seq) return;
        this._renderAnswer(query, data);
        this.dispatchEvent(new CustomEvent("kb-answer", { bubbles: true, composed: true, detail: data }));
      } catch (err) {
        if (seq === this._seq && !(err && err.name === "AbortError")) this._renderError(err);
      } finally {
        if (seq === this._seq) this._setBusy(false);
      }
    }

    // --- rendering ----------------------------------------------------------------------

    _reset() {
      this._options = [];
      this._active = -1;
      this._input.removeAttribute("aria-activedescendant");
      this._input.setAttribute("aria-expanded", "false");
      this._listbox.replaceChildren();
      this._answer.replaceChildren();
      this._answer.hidden = true;
      this._answer.className = "answer";
      this._message.hidden = true;
      this._message.className = "message";
    }

    _showMessage(text, isError = false) {
      this._message.textContent = text;
      this._message.className = isError ? "message error" : "message";
      this._message.hidden = false;
    }

    _announce(text) {
      // Clear first so that the same text is announced again.
      this._live.textContent = "";
      window.setTimeout(() => {
        this._live.textContent = text;
      }, 50);
    }

    _renderError(err) {
      this._reset();
      const text = err instanceof ApiError ? err.message : "Something went wrong while searching.";
      this._showMessage(text, true);
      this._announce(text);
    }

    _finishList() {
      this._input.setAttribute("aria-expanded", this._options.length ? "true" : "false");
    }

    _option(citation, { where, ranges, markClass, maxChars, openLabel, text, decode = true }) {
      const index = this._options.length;
      const excerpt = h("span", { class: "option-excerpt" });
      const cut = snippet(text === undefined ? citation.excerpt : text, ranges, maxChars);
      if (cut.head) excerpt.appendChild(h("span", { class: "ellipsis" }, "… "));
      appendMarked(excerpt, cut.text, cut.ranges, markClass, decode);
      if (cut.tail) excerpt.appendChild(h("span", { class: "ellipsis" }, " …"));

      const href = this._viewUrl(citation);
      const link = h(
        "a",
        { class: "option-link", href, tabindex: "-1", target: this.getAttribute("target") === "_blank" ? "_blank" : null },
        where ? h("span", { class: "option-where" }, where) : null,
        excerpt,
        h("span", { class: "option-open" }, openLabel, h("span", { "aria-hidden": "true" }, " →"))
      );
      if (link.target) link.rel = "noopener";
      const original = safeUrl(citation.url);
      const source = original
        ? h("a", { class: "option-source", href: original, tabindex: "-1", target: "_blank", rel: "noopener" }, "Original page", h("span", { "aria-hidden": "true" }, " ↗"))
        : null;
      const node = h(
        "div",
        { id: `${this._uid}-opt-${index}`, class: "option", role: "option", "aria-selected": "false", part: "option" },
        link,
        source
      );
      this._options.push({ node, href });
      return node;
    }

    _renderSearch(query, results) {
      this._reset();
      if (!results.length) {
        this._showMessage(`No passages match “${query}”. Press Enter to ask it as a question.`);
        this._announce("No matching passages.");
        return;
      }
      const terms = queryTerms(query);
      // Group by article (in the order of each article's best result), then by section.
      const articles = new Map();
      for (const c of results) {
        let article = articles.get(c.doc_id);
        if (!article) {
          article = { title: c.title || c.doc_id, sections: new Map() };
          articles.set(c.doc_id, article);
        }
        const key = String(c.section || "");
        if (!article.sections.has(key)) article.sections.set(key, []);
        article.sections.get(key).push(c);
      }
      let groupIndex = 0;
      for (const article of articles.values()) {
        const titleId = `${this._uid}-art-${groupIndex}`;
        this._listbox.appendChild(h("div", { id: titleId, class: "article-title", role: "presentation" }, shown(article.title)));
        for (const [section, items] of article.sections) {
          const labelId = `${this._uid}-grp-${groupIndex}`;
          groupIndex += 1;
          const group = h(
            "div",
            { class: "group", role: "group", "aria-labelledby": `${titleId} ${labelId}` },
            h("div", { id: labelId, class: "group-label", role: "presentation" }, shown(sectionLabel(section)))
          );
          for (const c of items) {
            const read = readable(c);
            group.appendChild(
              this._option(c, {
                where: null,
                text: read.text,
                decode: read.decode,
                ranges: termRanges(read.text, terms),
                markClass: "term",
                maxChars: SNIPPET_CHARS,
                openLabel: "Open",
              })
            );
          }
          this._listbox.appendChild(group);
        }
      }
      this._finishList();
      const n = results.length;
      this._announce(`${n} passage${n === 1 ? "" : "s"} in ${articles.size} article${articles.size === 1 ? "" : "s"}. Press Enter to ask.`);
    }

    _renderAnswer(query, data) {
      this._reset();
      const citations = Array.isArray(data.citations) ? data.citations.filter(isCitation) : [];
      const answer = typeof data.answer === "string" && data.answer.trim() ? data.answer : null;
      const confidence = typeof data.confidence === "number" && isFinite(data.confidence) ? Math.max(0, Math.min(1, data.confidence)) : 0;
      const terms = queryTerms(query);
      const where = (c) => {
        const about = [c.owner, c.updated && `updated ${c.updated}`].filter((x) => typeof x === "string" && x);
        return shown(`${c.title || c.doc_id} › ${sectionLabel(c.section)}${about.length ? ` · ${about.join(" · ")}` : ""}`);
      };

      if (answer) {
        const level = confidenceLevel(confidence);
        const percent = Math.round(confidence * 100);
        const fill = h("span", { class: "meter-fill" });
        fill.style.width = `${percent}%`;
        // What a person reads: the API's display text, table rows as a small table.
        const display = typeof data.display === "string" && data.display.trim() ? data.display : shown(answer);
        const body = isRows(data.rows)
          ? h("div", { class: "answer-text table-scroll", part: "answer-text", "aria-label": display }, rowsTable(data.rows))
          : h("p", { class: "answer-text", part: "answer-text" }, display);
        this._answer.append(
          h("h2", { class: "answer-label" }, "Answer"),
          body,
          h(
            "div",
            { class: "confidence", "data-level": level },
            h("span", { class: "meter", "aria-hidden": "true" }, fill),
            h("span", { class: "confidence-text" }, `${level[0].toUpperCase()}${level.slice(1)} confidence · ${percent}%`)
          )
        );
        this._answer.hidden = false;

        if (citations.length) {
          const [first, ...rest] = citations;
          const read = readable(first);
          this._listbox.appendChild(this._heading("Evidence"));
          this._listbox.appendChild(
            h(
              "div",
              { class: "group", role: "group", "aria-label": "Evidence" },
              this._option(first, {
                where: where(first),
                text: read.text,
                decode: read.decode,
                ranges: read.answer,
                markClass: "answer-span",
                maxChars: EVIDENCE_CHARS,
                openLabel: "Open in context",
              })
            )
          );
          this._appendCitationGroup("Other sources", rest, terms, where);
        }
        const source = citations[0] ? ` Source: ${citations[0].title || citations[0].doc_id}.` : "";
        this._announce(`Answer: ${display}${shown(source)}`);
      } else {
        this._answer.classList.add("abstain");
        const reason = typeof data.reason === "string" && data.reason.trim() ? data.reason : null;
        this._answer.append(
          h("h2", { class: "abstain-title" }, "Not covered by the knowledge base"),
          h("p", { class: "abstain-reason" }, reason || "No passage in the knowledge base answers this question.")
        );
        this._answer.hidden = false;
        this._appendCitationGroup("Related", citations, terms, where);
        this._announce(`Not covered by the knowledge base.${citations.length ? ` ${citations.length} related passages.` : ""}`);
      }
      this._finishList();
    }

    _heading(text) {
      return h("div", { class: "heading-label", role: "presentation" }, text);
    }

    _appendCitationGroup(label, citations, terms, where) {
      if (!citations.length) return;
      this._listbox.appendChild(this._heading(label));
      const group = h("div", { class: "group", role: "group", "aria-label": label });
      for (const c of citations) {
        const read = readable(c);
        group.appendChild(
          this._option(c, {
            where: where(c),
            text: read.text,
            decode: read.decode,
            ranges: termRanges(read.text, terms),
            markClass: "term",
            maxChars: SNIPPET_CHARS,
            openLabel: "Open in context",
          })
        );
      }
      this._listbox.appendChild(group);
    }
  }

  window.customElements.define(TAG, KbSearch);
})();
