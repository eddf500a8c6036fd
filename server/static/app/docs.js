// /docs: Swagger UI from the vendored swagger-ui-dist, configured here (not inline: the CSP allows only files).
// "Try it out" works with the admin token (Authorize) or, when this browser is signed in to the dashboard, with
// its session: the CSRF token the dashboard keeps in localStorage is added to every request.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    requestInterceptor: (req) => {
      const csrf = window.localStorage.getItem("tvbridge.csrf");
      if (csrf && !req.headers.Authorization) req.headers["X-CSRF-Token"] = csrf;
      return req;
    },
  });
});
