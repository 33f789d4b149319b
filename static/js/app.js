// Seatplan page behaviour. Plain JS, no build step, loaded with defer.
// Everything is driven by data- attributes and found afresh when needed, so it
// also works on fragments htmx swaps in later, and no page needs an inline
// script (the CSP is default-src 'self').
(() => {
  "use strict";

  // Countdowns: <span data-countdown-until="2025-01-02T15:04:05Z"
  //   data-countdown-format="Lock expires in not more than {s} seconds"
  //   data-countdown-expired="Lock expired — checking again">
  // The server renders the first text; this keeps it current. One interval
  // queries the whole document each tick, so swapped-in elements need no setup.
  const defaultFormat = "expires in {s} s";
  const defaultExpired = "expired";

  const tickCountdowns = () => {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-countdown-until]")) {
      const until = Date.parse(el.dataset.countdownUntil);
      if (Number.isNaN(until)) continue;
      // Rounded up: the lock lasts "not more than" this many seconds.
      const seconds = Math.ceil((until - now) / 1000);
      const text = seconds > 0
        ? (el.dataset.countdownFormat || defaultFormat).replace("{s}", String(seconds))
        : (el.dataset.countdownExpired || defaultExpired);
      if (el.textContent !== text) el.textContent = text;
    }
  };
  tickCountdowns();
  setInterval(tickCountdowns, 1000);
  // Refresh a freshly swapped countdown now instead of up to a second later.
  document.addEventListener("htmx:afterSettle", tickCountdowns);

  // Select-all: <input type="checkbox" data-select-all="email"> checks or
  // clears every checkbox named "email" in its form (or the page, outside a
  // form), and shows itself checked/indeterminate as the members change.
  const membersOf = (box, name) => {
    const scope = box.form ? Array.from(box.form.elements) : document.querySelectorAll("input");
    return Array.from(scope).filter(
      (el) => el instanceof HTMLInputElement && el.type === "checkbox" && el.name === name,
    );
  };

  const syncSelectAll = (all) => {
    const members = membersOf(all, all.dataset.selectAll);
    const checked = members.filter((m) => m.checked).length;
    all.checked = members.length > 0 && checked === members.length;
    all.indeterminate = checked > 0 && checked < members.length;
  };

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
    if (box.dataset.selectAll !== undefined) {
      for (const member of membersOf(box, box.dataset.selectAll)) member.checked = box.checked;
      return;
    }
    if (!box.name) return;
    const selector = `input[type="checkbox"][data-select-all="${CSS.escape(box.name)}"]`;
    for (const all of document.querySelectorAll(selector)) syncSelectAll(all);
  });

  // Lock guard: while a "Blocked by another process" banner is up
  // ([data-lock-held]), the submit buttons inside [data-lock-guard] are
  // disabled, since the server would refuse them; when the banner's poll
  // replaces it with the "free again" notice they work again. Only buttons
  // this script disabled are re-enabled. What was typed is left alone.
  const syncLockGuards = () => {
    const held = document.querySelector("[data-lock-held]") !== null;
    for (const guard of document.querySelectorAll("[data-lock-guard]")) {
      for (const button of guard.querySelectorAll('button[type="submit"], input[type="submit"]')) {
        if (button.form && button.form.method === "get") continue; // searching changes nothing
        if (button.closest("[data-lock-exempt]")) continue; // cancelling the job that holds the lock
        if (held && !button.disabled) {
          button.disabled = true;
          button.dataset.lockDisabled = "";
        } else if (!held && button.dataset.lockDisabled !== undefined) {
          button.disabled = false;
          delete button.dataset.lockDisabled;
        }
      }
    }
  };
  // Table cells are labelled with their column's header (data-label), which
  // small screens show when tables become stacked cards. Columns whose
  // header is only for screen readers (Actions) or empty get no label.
  const labelTables = () => {
    for (const table of document.querySelectorAll("table.table")) {
      const headers = Array.from(table.querySelectorAll("thead th"), (th) => {
        const hidden = th.querySelector(".visually-hidden");
        const text = th.textContent.replace(/[▲▼]/g, "").trim();
        return hidden && hidden.textContent.trim() === text ? "" : text;
      });
      for (const row of table.querySelectorAll("tbody tr")) {
        Array.from(row.cells).forEach((cell, i) => {
          if (cell.dataset.label === undefined && headers[i]) cell.dataset.label = headers[i];
        });
      }
    }
  };

  const onChange = () => { syncLockGuards(); labelTables(); };
  onChange();
  // Banners, forms and tables arrive by htmx swaps (in and out of band);
  // watching the document catches every way they come and go.
  new MutationObserver(onChange).observe(document.body, { childList: true, subtree: true });

  // Copy: <button data-copy="ID"> copies the element ID's data-value, or its
  // text, to the clipboard (secrets shown once, masked activation keys).
  // Where the clipboard API is refused, the text is selected for Ctrl+C.
  document.addEventListener("click", async (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = source.dataset.value ?? source.textContent.trim();
    let copied = true;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      copied = false;
      const range = document.createRange();
      range.selectNodeContents(source);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    const label = button.dataset.label ?? button.textContent;
    button.dataset.label = label;
    button.textContent = copied ? "Copied" : "Press Ctrl+C";
    setTimeout(() => { button.textContent = label; }, 2000);
  });

  // Relative time: <time datetime="…" data-relative> reads "3 minutes ago"
  // (the server's UTC text is the fallback), and its title gives the exact
  // moment in the reader's time zone and in UTC.
  const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const exactLocal = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium" });
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const relativeText = (at, now) => {
    const seconds = Math.round((at - now) / 1000);
    if (Math.abs(seconds) < 45) return "just now";
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size || unit === "minute") return relative.format(Math.round(seconds / size), unit);
    }
    return "";
  };
  const tickTimes = () => {
    const now = Date.now();
    for (const el of document.querySelectorAll("time[data-relative]")) {
      const at = Date.parse(el.dateTime);
      if (Number.isNaN(at)) continue;
      if (el.dataset.utc === undefined) {
        el.dataset.utc = el.title || el.textContent;
        el.title = exactLocal.format(at) + " your time · " + el.dataset.utc;
      }
      const text = relativeText(at, now);
      if (el.textContent !== text) el.textContent = text;
    }
  };
  tickTimes();
  setInterval(tickTimes, 15000);
  document.addEventListener("htmx:afterSettle", tickTimes);
  document.addEventListener("htmx:oobAfterSwap", tickTimes);

  // Loading states: while htmx sends a form (Preview, Confirm, Revoke…), its
  // submit buttons are disabled, so a second click sends nothing twice, and
  // the one pressed shows a spinner; the form is marked aria-busy. They come
  // back when the answer arrives, unless the lock guard holds them.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form") : null;
    if (!form) return;
    form.setAttribute("aria-busy", "true");
    const pressed = event.detail.requestConfig?.triggeringEvent?.submitter ?? (event.target.matches("button") ? event.target : null);
    for (const button of form.querySelectorAll('button[type="submit"], input[type="submit"]')) {
      if (button.disabled) continue;
      button.disabled = true;
      button.dataset.busyDisabled = "";
      if (button === pressed) button.classList.add("is-loading");
    }
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form") : null;
    if (!form) return;
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("[data-busy-disabled]")) {
      delete button.dataset.busyDisabled;
      button.classList.remove("is-loading");
      button.disabled = false;
    }
    syncLockGuards();
  });

  // HTML preview: <textarea data-preview="ID"> shows what it holds in the
  // sandboxed frame ID (no scripts run there), as the author types.
  let previewTimer;
  document.addEventListener("input", (event) => {
    const source = event.target;
    if (!(source instanceof HTMLTextAreaElement) || !source.dataset.preview) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => {
      const frame = document.getElementById(source.dataset.preview);
      if (frame instanceof HTMLIFrameElement) frame.srcdoc = source.value;
    }, 250);
  });
})();
