// Swagger UI for /api/docs, from the app's own copy (no CDN); no validator badge (it would call
// an outside service).
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") { return; }
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    // "Try it out" with the browser's session: an unsafe call must echo the CSRF token, sent
    // only to this origin.
    requestInterceptor: function (request) {
      var meta = document.querySelector('meta[name="csrf-token"]');
      var url = new URL(request.url, window.location.href);
      if (meta && url.origin === window.location.origin) {
        request.headers["X-CSRF-Token"] = meta.content;
      }
      return request;
    },
  });
});
