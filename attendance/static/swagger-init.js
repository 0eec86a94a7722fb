// Starts Swagger UI on /api/docs from the data attributes of its container (the CSP
// forbids inline scripts, so flask-smorest's inline bootstrap cannot run).
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.dataset.config || "{}");
  config.url = container.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = window.SwaggerUIBundle(config);
})();
