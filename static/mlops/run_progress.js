// Live progress for MLOps run pages: polls the run's status JSON until the run finishes.
// The run's state lives in its database row, so a reload simply picks up where it is.
(function () {
  "use strict";
  var POLL_MS = 1500;
  var MAX_BACKOFF_MS = 15000;

  function field(root, name) {
    return root.querySelector('[data-field="' + name + '"]');
  }

  function render(root, data) {
    var status = field(root, "status");
    if (status) {
      status.textContent = data.status;
      status.className = "mlops-status mlops-status-" + data.status;
    }
    var bar = field(root, "progress");
    if (bar) bar.value = data.progress;
    var percent = field(root, "percent");
    if (percent) percent.textContent = Math.round(data.progress * 100) + "%";
    var message = field(root, "message");
    if (message) message.textContent = data.progress_message;
    var stale = field(root, "stale");
    if (stale) stale.hidden = !data.stale;
    var errorBox = field(root, "error-box");
    if (errorBox) errorBox.hidden = !data.error;
    var error = field(root, "error");
    if (error) error.textContent = data.error;
    var log = field(root, "log");
    if (log && log.textContent !== data.log) {
      var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.textContent = (data.log_truncated ? "[earlier lines omitted]\n" : "") + data.log;
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
  }

  function follow(root) {
    var url = root.getAttribute("data-status-url");
    var delay = POLL_MS;
    var log = field(root, "log");
    if (log) log.scrollTop = log.scrollHeight;
    if (root.getAttribute("data-finished") === "1") return;

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          delay = POLL_MS;
          render(root, data);
          if (data.finished) {
            // Results (tables, links, pictures) are rendered by the server: show them once.
            window.location.reload();
            return;
          }
          window.setTimeout(poll, delay);
        })
        .catch(function () {
          delay = Math.min(delay * 2, MAX_BACKOFF_MS);
          window.setTimeout(poll, delay);
        });
    }
    window.setTimeout(poll, delay);
  }

  function start() {
    var roots = document.querySelectorAll(".mlops-run[data-status-url]");
    for (var i = 0; i < roots.length; i++) follow(roots[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
