/*
 * The fedcat partner widget: <fedcat-search library="north"></fedcat-search>
 * Loaded with <script src="https://fedcat.example/static/widget.js" defer></script>.
 * Renders inside a shadow root (the host page's CSS cannot reach it), talks to the
 * JSON API across origins (CORS is allowed for registered partner origins only), and puts
 * every piece of partner data into the page as text, never as HTML. Autocomplete on titles
 * and authors comes from the page's own combobox script (autocomplete.js), loaded once.
 * Its text comes from fedcat's one message catalogue (/api/v1/messages), in the language of
 * the element (its own or an ancestor's lang attribute); the msgids are the English text.
 */
(() => {
  "use strict";
  const scriptUrl = new URL(document.currentScript ? document.currentScript.src : location.href);
  const apiBase = scriptUrl.origin;
  const STYLE = `
    :host { all: initial; display: block; font: 15px/1.45 system-ui, sans-serif; color: #1d2327; }
    form { display: flex; gap: .4rem; position: relative; }
    label { position: absolute; left: -9999px; }
    input { flex: 1; font: inherit; padding: .4rem .55rem; border: 2px solid #50575e; border-radius: 4px; }
    button { font: inherit; padding: .4rem .9rem; background: #0a4b78; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
    input:focus, button:focus, a:focus { outline: 3px solid #f0b400; outline-offset: 2px; }
    ol { list-style: none; padding: 0; margin: .6rem 0 0; }
    li.hit { border-bottom: 1px solid #dcdcde; padding: .45rem 0; }
    a { color: #0a4b78; font-weight: 600; }
    .meta { color: #50575e; font-size: .9em; }
    .copy { font-size: .9em; }
    .here { font-weight: 700; }
    .available { color: #00642d; } .on_loan { color: #8a4b00; }
    .tier { font-size: .9em; margin: .15rem 0; } .tier-1 strong { color: #00642d; } .tier-4 strong { color: #8a2424; }
    p.msg { color: #50575e; }
    mark { background: #fff0a8; color: inherit; }
    button.suggestion { background: none; color: #0a4b78; padding: 0; text-decoration: underline; font-weight: 600; }
    .suggestions { position: absolute; top: 100%; left: 0; right: 0; z-index: 10; list-style: none; margin: .15rem 0 0; padding: .2rem 0; background: #fff; border: 2px solid #50575e; border-radius: 4px; max-height: 16rem; overflow-y: auto; }
    .suggestions [role=option] { padding: .35rem .6rem; cursor: pointer; display: flex; justify-content: space-between; gap: 1rem; }
    .suggestions [role=option][aria-selected=true], .suggestions [role=option]:hover { background: #0a4b78; color: #fff; }
    .suggestions .field { font-size: .85em; opacity: .85; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }`;
  const catalogues = new Map();
  let autocompleteLoading = null;

  /** The message catalogue in `language` (msgid -> text, or CLDR category -> text for a
   * plural), fetched once per language; English needs none, its msgids are the text. */
  function loadMessages(language) {
    if (language === "en") return Promise.resolve({ language, messages: {} });
    if (!catalogues.has(language)) {
      const params = new URLSearchParams({ lang: language });
      const loading = fetch(`${apiBase}/api/v1/messages?${params}`, { credentials: "omit" })
        .then((response) => (response.ok ? response.json() : { messages: {} }))
        .then((body) => ({ language: body.lang || "en", messages: body.messages || {} }))
        .catch(() => ({ language: "en", messages: {} }));
      catalogues.set(language, loading);
    }
    return catalogues.get(language);
  }

  /** `%(name)s` and `%(name)d` placeholders filled from `values`. */
  function format(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
  }

  /** gettext over one loaded catalogue: the translation, or the (English) msgid. */
  function translator(catalogue) {
    const { language, messages } = catalogue;
    const rules = new Intl.PluralRules(language);
    const gettext = (msgid, values) => format(typeof messages[msgid] === "string" ? messages[msgid] : msgid, values);
    const ngettext = (singular, plural, n, values) => {
      const forms = messages[singular];
      const text = forms && typeof forms === "object" ? forms[rules.select(n)] || forms.other : n === 1 ? singular : plural;
      return format(text, { num: n, ...values });
    };
    return { gettext, ngettext };
  }

  /** The combobox enhancer of autocomplete.js, loaded from fedcat once for every widget. */
  function loadAutocomplete() {
    if (window.fedcatAutocomplete) return Promise.resolve(window.fedcatAutocomplete);
    if (!autocompleteLoading) {
      autocompleteLoading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = `${apiBase}/static/autocomplete.js`;
        script.dataset.enhance = "none";
        script.onload = () => (window.fedcatAutocomplete ? resolve(window.fedcatAutocomplete) : reject(new Error("no autocomplete")));
        script.onerror = () => reject(new Error("autocomplete.js did not load"));
        document.head.append(script);
      });
    }
    return autocompleteLoading;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** Highlight segments ({text, match}) as text nodes, matched ones inside <mark>. */
  function marked(parts, fallback) {
    const fragment = document.createDocumentFragment();
    for (const part of parts || [{ text: fallback, match: false }]) {
      fragment.append(part.match ? el("mark", {}, part.text) : document.createTextNode(part.text));
    }
    return fragment;
  }

  class FedcatSearch extends HTMLElement {
    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      const style = el("style");
      style.textContent = STYLE;
      const form = el("form", { role: "search" });
      const id = "fedcat-q";
      this._label = el("label", { for: id });
      form.append(this._label);
      this._input = el("input", { id, type: "search", name: "q" });
      this._button = el("button", { type: "submit" });
      form.append(this._input, this._button);
      form.addEventListener("submit", (event) => { event.preventDefault(); this.search(this._input.value); });
      this._status = el("p", { class: "msg", role: "status", "aria-live": "polite" });
      this._suggestion = el("p", { class: "msg" });
      this._list = el("ol");
      this._root.append(style, form, this._status, this._suggestion, this._list);
      this._input.setAttribute("data-autocomplete", `${apiBase}/api/v1/autocomplete`);
      this.translate(translator({ language: "en", messages: {} }));
      const language = (this.closest("[lang]")?.getAttribute("lang") || "en").trim().toLowerCase();
      const translated = loadMessages(language.split("-")[0] === "en" ? "en" : language).then((catalogue) => this.translate(translator(catalogue)));
      // an enhancement: if it cannot load, the box stays a plain search box
      Promise.all([loadAutocomplete(), translated]).then(([enhance]) => enhance(this._input), () => {});
    }

    /** Put the interface text of `t` (a translator) on the widget's controls. */
    translate(t) {
      this._t = t;
      const { gettext, ngettext } = t;
      const prompt = gettext("Search all partner libraries");
      this._label.textContent = prompt;
      this._input.setAttribute("placeholder", prompt);
      this._button.textContent = gettext("Search");
      const suggestions = (n, values) => ngettext("%(num)s suggestion. Use the up and down arrows to choose.", "%(num)s suggestions. Use the up and down arrows to choose.", n, values);
      this._input.setAttribute("data-list-label", gettext("Suggestions"));
      this._input.setAttribute("data-msg-one", suggestions(1));
      this._input.setAttribute("data-msg-many", suggestions(2, { num: "{n}" }));
      this._input.setAttribute("data-field-title", gettext("title"));
      this._input.setAttribute("data-field-author", gettext("author"));
    }

    statusLabel(status) {
      const { gettext } = this._t;
      const labels = { available: gettext("Available"), on_loan: gettext("On loan"), not_loanable: gettext("Library use only"), unknown: gettext("Ask at the library") };
      return labels[status] || status;
    }

    get library() { return (this.getAttribute("library") || "").trim(); }

    async search(text) {
      this._list.replaceChildren();
      this._suggestion.replaceChildren();
      if (!text.trim()) return;
      const { gettext } = this._t;
      this._status.textContent = gettext("Searching…");
      const params = new URLSearchParams({ q: text, per_page: this.getAttribute("results") || "5" });
      if (this.library) params.set("library", this.library);
      try {
        const response = await fetch(`${apiBase}/api/v1/search?${params}`, { credentials: "omit" });
        const body = await response.json();
        if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
        this.render(body, text);
      } catch (error) {
        this._status.textContent = gettext("Search is unavailable: %(reason)s", { reason: error.message });
      }
    }

    render(body, text) {
      const { gettext, ngettext } = this._t;
      this._status.textContent = ngettext("%(num)d result in the consortium", "%(num)d results in the consortium", body.total);
      if (body.suggestion) {
        const corrected = body.suggestion.q;
        const retry = el("button", { type: "button", class: "suggestion" }, corrected);
        retry.addEventListener("click", () => { this._input.value = corrected; this.search(corrected); });
        const [before, after] = gettext("Did you mean %(suggestion)s?").split("%(suggestion)s");
        this._suggestion.append(before, retry, after || "");
      }
      for (const work of body.results) {
        const item = el("li", { class: "hit" });
        const link = el("a", { href: `${apiBase}/work/${encodeURIComponent(work.id)}${this.library ? `?library=${encodeURIComponent(this.library)}` : ""}`, target: "_blank", rel: "noopener" });
        link.append(marked(work.highlight && work.highlight.title, work.title));
        item.append(link);
        // A plain link to fedcat's record page: the patron signs in and requests there.
        const ask = el("a", { class: "request", href: `${apiBase}/work/${encodeURIComponent(work.id)}${this.library ? `?library=${encodeURIComponent(this.library)}` : ""}#request`, target: "_blank", rel: "noopener" }, gettext("Request"));
        item.append(document.createTextNode(" "), ask);
        const meta = [work.contributors.slice(0, 2).join("; "), work.year].filter(Boolean).join(" · ");
        if (meta) item.append(el("div", { class: "meta" }, meta));
        // How a patron of the widget's library gets it: tier label and reason, as text.
        const tier = work.obtainability;
        if (tier) {
          const line = el("div", { class: `tier tier-${Number(tier.tier) || 0}`, "data-tier": String(Number(tier.tier) || 0) });
          line.append(el("strong", {}, tier.label), document.createTextNode(" "), el("span", {}, tier.reason));
          item.append(line);
        }
        for (const h of work.holdings.slice(0, 3)) {
          const line = el("div", { class: "copy" });
          line.append(el("span", { class: h.library_id === this.library ? "here" : "" }, h.library_name));
          line.append(document.createTextNode(" — "));
          line.append(el("span", { class: h.status }, this.statusLabel(h.status)));
          if (h.call_number) line.append(document.createTextNode(` · ${h.call_number}`));
          item.append(line);
        }
        this._list.append(item);
      }
      const more = el("a", { href: `${apiBase}/?${new URLSearchParams({ q: text, library: this.library })}`, target: "_blank", rel: "noopener" }, gettext("See all results"));
      const last = el("li");
      last.append(more);
      this._list.append(last);
    }
  }

  if (!customElements.get("fedcat-search")) customElements.define("fedcat-search", FedcatSearch);
})();
