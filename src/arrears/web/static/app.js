// Send the CSRF token with every HTMX request (the <body hx-headers> covers most; this covers
// requests htmx builds from elements outside <body>'s inheritance, e.g. hx-boost).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
});
