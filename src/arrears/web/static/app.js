// Send the CSRF token with every HTMX request (the <body hx-headers> covers most; this covers
// requests htmx builds from elements outside <body>'s inheritance, e.g. hx-boost).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
});

// Dates in the page's language: a browser's native date field shows its own UI language's
// order (mm/dd/yyyy in an English Chromium), whatever the page says. In Chinese the fields
// become text fields in the center's order, 年-月-日, which the server reads as it reads the
// native field's value (ISO); without this script the native field still works.
document.addEventListener("DOMContentLoaded", function () {
  var lang = document.documentElement.lang;
  if (lang !== "zh-CN") { return; }
  document.querySelectorAll('input[type="date"], input[type="datetime-local"]').forEach(function (el) {
    var withTime = el.type === "datetime-local";
    el.type = "text";
    el.inputMode = "numeric";
    el.placeholder = withTime ? "年-月-日 时:分" : "年-月-日";
    el.pattern = withTime ? "\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}" : "\\d{4}-\\d{2}-\\d{2}";
    el.title = withTime ? "年-月-日 时:分，例如 2026-11-20 09:30" : "年-月-日，例如 2026-11-20";
    el.autocomplete = "off";
  });
});

// Keyboard shortcuts for the frequent actions (docs/web.md): the element marked
// data-shortcut="n" is clicked (a link, a button) or brought into view and focused (a field:
// the outcome of the contact form, the promise's amount) when its key is pressed on its own.
// Never with a modifier (Ctrl+L, Ctrl+P stay the browser's), never while typing in a field or
// composing with an input method (Chinese pinyin), so a note or an amount can hold any letter.
(function () {
  var TYPING = /^(TEXTAREA|SELECT)$/;
  var NOT_TYPING = /^(checkbox|radio|button|submit|reset|file|range|color|image)$/;
  function typing(el) {
    if (!el || !el.tagName) { return false; }
    if (el.isContentEditable || TYPING.test(el.tagName)) { return true; }
    return el.tagName === "INPUT" && !NOT_TYPING.test(el.type);
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.repeat || event.isComposing) { return; }
    if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) { return; }
    if (typing(event.target) || typing(document.activeElement)) { return; }
    var key = event.key;
    if (!/^[a-z]$/.test(key)) { return; }
    var target = document.querySelector('[data-shortcut="' + key + '"]');
    if (!target) { return; }
    event.preventDefault();
    if (typing(target)) {
      target.scrollIntoView({ block: "center" });
      target.focus();
    } else {
      target.click();
    }
  });
})();

// The case page's message form: the template list shows only the chosen channel's templates
// (a letter's are its kinds), and the letter preview only for a letter. Without this script
// every template is listed by channel and a mismatched pair is refused with one sentence.
document.addEventListener("DOMContentLoaded", function () {
  var channel = document.getElementById("message-channel");
  var template = document.getElementById("message-template");
  if (!channel || !template) { return; }
  var preview = document.getElementById("preview-letter");
  var slot = document.getElementById("letter-preview-slot");
  var note = document.getElementById("message-note-label");
  function show() {
    var chosen = channel.value;
    var first = null;
    template.querySelectorAll("optgroup").forEach(function (group) {
      var mine = group.getAttribute("data-channel") === chosen;
      group.hidden = !mine;
      group.disabled = !mine;
      if (mine && !first) { first = group.querySelector("option"); }
    });
    var current = template.options[template.selectedIndex];
    if (first && (!current || current.getAttribute("data-channel") !== chosen)) {
      first.selected = true;
    }
    if (preview) { preview.hidden = chosen !== "letter"; }
    if (note) { note.hidden = chosen === "letter"; }  // a letter's words are the bank's
    if (slot && chosen !== "letter") { slot.innerHTML = ""; }
  }
  channel.addEventListener("change", show);
  template.addEventListener("change", function () { if (slot) { slot.innerHTML = ""; } });
  show();
});
