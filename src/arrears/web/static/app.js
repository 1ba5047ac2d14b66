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
