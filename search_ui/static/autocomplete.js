/*
 * Autocomplete for the search box: an ARIA 1.2 combobox with a listbox popup.
 * An enhancement only: without this script the box is a plain search field.
 * Keys: Down/Up move through the suggestions, Enter searches the chosen one, Escape closes.
 * Suggestions come from /api/v1/autocomplete and are put into the page as text, never HTML.
 * The partner widget loads this script too (with data-enhance="none") and enhances its own
 * box, inside its shadow root, through window.fedcatAutocomplete.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  const MIN_CHARS = 2;
  const DELAY_MS = 150;

  function enhance(input) {
    const form = input.form;
    const url = input.dataset.autocomplete;
    const listId = `${input.id}-suggestions`;
    const list = document.createElement("ul");
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.dataset.listLabel || "Suggestions");
    list.hidden = true;
    const status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.after(list, status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    let active = -1;
    let timer = 0;
    let pending = null;
    let lastTyped = "";

    const options = () => Array.from(list.querySelectorAll("[role=option]"));

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      input.value = option.dataset.value;
      close();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }

    function show(suggestions) {
      list.replaceChildren();
      suggestions.forEach((suggestion, i) => {
        const option = document.createElement("li");
        option.id = `${listId}-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.value = suggestion.value;
        const value = document.createElement("span");
        value.textContent = suggestion.value;
        const field = document.createElement("span");
        field.className = "field";
        field.textContent = input.dataset[`field${suggestion.field === "author" ? "Author" : "Title"}`] || suggestion.field;
        option.append(value, " ", field);
        option.addEventListener("mousedown", (event) => event.preventDefault());
        option.addEventListener("click", () => choose(option));
        list.append(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      const n = suggestions.length;
      list.hidden = n === 0;
      input.setAttribute("aria-expanded", String(n > 0));
      const message = n === 1 ? input.dataset.msgOne : (input.dataset.msgMany || "").replace("{n}", n);
      status.textContent = n ? message : "";
    }

    async function fetchSuggestions(typed) {
      if (pending) pending.abort();
      pending = new AbortController();
      try {
        const params = new URLSearchParams({ q: typed });
        const response = await fetch(`${url}?${params}`, { signal: pending.signal, credentials: "omit" });
        if (!response.ok) return close();
        const body = await response.json();
        if (body.q === input.value.trim()) show(body.suggestions || []);
      } catch (error) {
        if (error.name !== "AbortError") close();
      }
    }

    input.addEventListener("input", () => {
      const typed = input.value.trim();
      clearTimeout(timer);
      if (typed === lastTyped) return;
      lastTyped = typed;
      if (typed.length < MIN_CHARS) {
        if (pending) pending.abort();
        show([]);
        return;
      }
      timer = setTimeout(() => fetchSuggestions(typed), DELAY_MS);
    });

    input.addEventListener("keydown", (event) => {
      const open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options().length) return;
        event.preventDefault();
        if (!open) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        highlight(event.key === "ArrowDown" ? active + 1 : active < 0 ? -1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(options()[active]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });

    input.addEventListener("blur", close);
  }

  window.fedcatAutocomplete = window.fedcatAutocomplete || enhance;
  if (!script || script.dataset.enhance !== "none") {
    document.querySelectorAll("input[data-autocomplete]").forEach(enhance);
  }
})();
