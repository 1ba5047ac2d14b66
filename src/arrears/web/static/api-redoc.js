// ReDoc for /api/redoc, from the app's own copy (no CDN). Its styles are <style> elements,
// which the page's policy admits only with the nonce this script was loaded with.
(function () {
  var nonce = document.currentScript ? document.currentScript.nonce : "";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("redoc");
    if (!root || typeof Redoc === "undefined") { return; }
    Redoc.init(root.dataset.openapi, { nonce: nonce }, root);
  });
})();
