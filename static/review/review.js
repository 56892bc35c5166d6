/* Keyboard-first review.
 *
 * 1-7 choose an intent, Enter accepts the model's label, U undoes the last decision, S skips,
 * E escalates to a practice admin, R shows the raw original, / focuses the reason, ? toggles
 * the shortcuts. On the work page the next item is already claimed and rendered in #preload, so
 * after a decision is saved the page swaps it in without waiting for the network; a new
 * preload is requested in the background. The server renders every fragment (escaped); this
 * file only moves them around. No inline script anywhere: the CSP forbids it.
 */
(function () {
  "use strict";

  var work = document.querySelector("[data-review-work]");
  var spot = document.querySelector("[data-review-spot-check]");
  var root = work || spot;
  if (!root) {
    return;
  }
  var current = document.getElementById("current");
  var preload = document.getElementById("preload");
  var statusLine = document.getElementById("status");
  var help = document.getElementById("shortcuts");
  var csrf = root.dataset.csrf;
  var busy = false;
  var decided = false; // spot-check page: one decision, then only U
  var shownAt = performance.now();
  var preloading = null;

  function article(container) {
    return container ? container.querySelector("article.item") : null;
  }

  function say(html) {
    statusLine.innerHTML = html; // a fragment rendered (and escaped) by the server
  }

  function activate(container) {
    if (window.htmx) {
      window.htmx.process(container);
    }
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": csrf,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(data || {}),
    }).then(function (response) {
      if (response.redirected && response.url.indexOf("/accounts/login/") !== -1) {
        // The session ended (idle logout): go and sign in again.
        window.location.href = response.url;
        return new Promise(function () {});
      }
      return response.text().then(function (text) {
        return { ok: response.ok, status: response.status, text: text };
      });
    });
  }

  function shownIds() {
    return [article(current), article(preload)]
      .filter(Boolean)
      .map(function (a) {
        return a.dataset.itemId;
      })
      .filter(Boolean);
  }

  function requestNext(target) {
    var values = {};
    new URLSearchParams(root.dataset.filterQuery || "").forEach(function (value, key) {
      values[key] = value;
    });
    values.exclude = shownIds().join(",");
    return post(root.dataset.nextUrl, values).then(function (r) {
      if (r.ok) {
        target.innerHTML = r.text;
        activate(target);
      }
      return r;
    });
  }

  function startPreload() {
    preload.innerHTML = "";
    preloading = requestNext(preload)
      .catch(function () {})
      .then(function () {
        preloading = null;
      });
  }

  function waitForPreload() {
    return preloading || Promise.resolve();
  }

  function advance() {
    return waitForPreload().then(function () {
      var step = Promise.resolve();
      if (article(preload) || preload.querySelector("[data-empty]")) {
        current.replaceChildren.apply(current, Array.from(preload.childNodes));
      } else {
        current.innerHTML = "";
        step = requestNext(current);
      }
      return step.then(function () {
        shownAt = performance.now();
        if (article(current)) {
          startPreload();
        }
      });
    });
  }

  function finish() {
    busy = false;
  }

  function decide(label) {
    var item = article(current);
    if (!item || busy || decided || !label) {
      return;
    }
    busy = true;
    var reason = item.querySelector("input[name=reason]");
    post(item.dataset.decideUrl, {
      label: label,
      seconds: ((performance.now() - shownAt) / 1000).toFixed(2),
      reason: reason ? reason.value : "",
    })
      .then(function (r) {
        say(r.text);
        if (spot) {
          decided = r.ok;
          return null;
        }
        // 409: the item was decided or taken meanwhile; either way it is not ours to show.
        return r.ok || r.status === 409 ? advance() : null;
      })
      .catch(function () {
        say('<span class="error">Network error: the decision was not saved.</span>');
      })
      .then(finish);
  }

  function accept() {
    var item = article(current);
    if (!item) {
      return;
    }
    if (!item.dataset.predicted) {
      say('<span class="error">The model gave no label: choose 1-7.</span>');
      return;
    }
    decide(item.dataset.predicted);
  }

  function chooseKey(key) {
    var item = article(current);
    var button = item ? item.querySelector('button.intent[data-key="' + key + '"]') : null;
    if (button) {
      decide(button.dataset.label);
    }
  }

  function itemAction(urlKey, missing) {
    var item = article(current);
    if (!item || busy || spot) {
      return;
    }
    var url = item.dataset[urlKey];
    if (!url) {
      say('<span class="error">' + missing + "</span>");
      return;
    }
    busy = true;
    post(url, {})
      .then(function (r) {
        say(r.text);
        return r.ok ? advance() : null;
      })
      .catch(function () {
        say('<span class="error">Network error.</span>');
      })
      .then(finish);
  }

  function undo() {
    if (busy) {
      return;
    }
    busy = true;
    // After any preload in flight, so the page knows which items it holds when the reopened
    // one comes back.
    waitForPreload()
      .then(function () {
        return post(root.dataset.undoUrl, {});
      })
      .then(function (r) {
        if (!r.ok) {
          say(r.text);
          return null;
        }
        if (spot) {
          window.location.reload();
          return null;
        }
        return Promise.resolve().then(function () {
          // The item on screen waits in the preload slot (still leased to this reviewer);
          // the reopened one is shown to be decided again.
          var onScreen = article(current);
          if (onScreen) {
            preload.replaceChildren(onScreen);
          } else {
            preload.innerHTML = "";
          }
          current.innerHTML = r.text;
          activate(current);
          shownAt = performance.now();
          say('<span class="saved">Decision undone: choose again.</span>');
        });
      })
      .catch(function () {
        say('<span class="error">Network error: nothing was undone.</span>');
      })
      .then(finish);
  }

  function showRaw() {
    var item = article(current);
    var button = item ? item.querySelector('[data-action="raw"]') : null;
    if (button) {
      button.click();
    }
  }

  function toggleHelp(force) {
    if (help) {
      help.hidden = force === undefined ? !help.hidden : !force;
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    var typing =
      target &&
      (target.tagName === "INPUT" ||
        target.tagName === "TEXTAREA" ||
        target.tagName === "SELECT" ||
        target.isContentEditable);
    if (typing) {
      // Esc (or Enter in the reason box) returns to the keys.
      if (event.key === "Escape" || (event.key === "Enter" && target.name === "reason")) {
        target.blur();
        event.preventDefault();
      }
      return;
    }
    var key = event.key;
    var handled = true;
    if (key === "?") {
      toggleHelp();
    } else if (key === "Escape") {
      toggleHelp(false);
    } else if (/^[1-7]$/.test(key)) {
      toggleHelp(false);
      chooseKey(key);
    } else if (key === "Enter") {
      toggleHelp(false);
      accept();
    } else if (key === "u" || key === "U") {
      toggleHelp(false);
      undo();
    } else if (key === "s" || key === "S") {
      itemAction("skipUrl", "This item cannot be skipped.");
    } else if (key === "e" || key === "E") {
      itemAction("escalateUrl", "This item is already with the practice admins.");
    } else if (key === "r" || key === "R") {
      showRaw();
    } else if (key === "/") {
      var reason = article(current) ? article(current).querySelector("input[name=reason]") : null;
      if (reason) {
        reason.focus();
      }
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var intent = target ? target.closest("button.intent") : null;
    if (intent && current.contains(intent)) {
      decide(intent.dataset.label);
      return;
    }
    if (target && target.closest('[data-action="help"]')) {
      toggleHelp();
    }
  });
})();
