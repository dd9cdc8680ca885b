// Boots the vendored Swagger UI on /api/v1/docs. Kept out of the page: the CSP allows no inline script.
// A request from the page is a session request, so it carries the CSRF token like any form would.
const root = document.getElementById("swagger-ui");

window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  requestInterceptor: (request) => {
    request.headers["X-CSRFToken"] = root.dataset.csrfToken;
    return request;
  },
});
