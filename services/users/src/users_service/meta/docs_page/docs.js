// Starts Swagger UI on /docs. A file, not an inline script, so the page's CSP can forbid those.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    persistAuthorization: true,
    displayOperationId: true,
    tryItOutEnabled: true,
  });
});
