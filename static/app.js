// Progressive enhancements only: every page works without this file.
"use strict";

// Every page: times in the person's zone. API authentication screen: Copy, Show/Hide and the
// reveal-window countdown.
(function () {
  // <time data-local>: the time in the zone chosen on /account (<body data-time-zone>), else the
  // browser's, always with the zone's name; the title keeps the exact UTC time.
  var zone = document.body.getAttribute("data-time-zone") || undefined;
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    var options = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short", timeZone: zone };
    try {
      el.textContent = when.toLocaleString(undefined, options);
    } catch (e) {
      // An unknown zone: keep the UTC text the server wrote.
    }
  });

  var status = document.querySelector("[data-copy-status]");
  function say(message) {
    if (status) { status.textContent = message; }
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      function fallback() {
        // No Clipboard API (or permission refused): select the text for Ctrl+C / Cmd+C.
        var type = field.type;
        field.type = "text";
        field.select();
        field.type = type;
        say("Press Ctrl+C (or Cmd+C) to copy the selected token.");
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () {
          say("Copied to the clipboard.");
          // Put the copy in the screen's history (same-origin POST with the form's CSRF token).
          var audit = document.querySelector("form[data-copy-audit]");
          if (audit) {
            fetch(audit.action, { method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(audit)) });
          }
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 2000);
        }, fallback);
      } else {
        fallback();
      }
    });
  });

  document.querySelectorAll("[data-show-target]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-show-target"));
    if (!field) { return; }
    button.hidden = false;
    function show(visible) {
      field.type = visible ? "text" : "password";
      button.textContent = visible ? "Hide" : "Show";
      button.setAttribute("aria-pressed", visible ? "true" : "false");
    }
    button.addEventListener("click", function () { show(field.type !== "text"); });
  });

  document.querySelectorAll("[data-countdown-until]").forEach(function (notice) {
    var left = parseInt(notice.getAttribute("data-seconds-left"), 10);
    var end = Date.now() + (isNaN(left) ? 0 : left) * 1000;
    var counter = notice.querySelector("[data-countdown]");
    function mask() {
      var field = document.getElementById("api-token");
      if (field) {
        field.type = "text";
        field.value = field.getAttribute("data-masked-value") || "";
      }
      // Nothing can be copied, shown or revealed any more.
      document.querySelectorAll("[data-copy-target], [data-show-target], [data-reveal-form]").forEach(function (b) {
        b.hidden = true;
      });
      // Notices above the field change their words rather than disappear: the field must not move.
      document.querySelectorAll("[data-on-expiry]").forEach(function (el) {
        el.textContent = el.getAttribute("data-on-expiry");
      });
      notice.textContent = "The reveal window has passed: the token is now masked and cannot be shown again.";
    }
    // Never mask before the server stops revealing (its seconds are rounded up), or a reload
    // right after the countdown would show the token again.
    function tick() {
      var ms = end - Date.now();
      if (ms <= 0) { mask(); return; }
      var remaining = Math.ceil(ms / 1000);
      var minutes = Math.floor(remaining / 60);
      var seconds = remaining % 60;
      if (counter) { counter.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds; }
      setTimeout(tick, ms - (remaining - 1) * 1000);
    }
    tick();
  });
})();

// Import feedback: a file picker that loads the chosen CSV file into the textarea. Hidden
// without this script, where pasting still works.
(function () {
  document.querySelectorAll("[data-file-into]").forEach(function (wrapper) {
    var input = wrapper.querySelector("input[type=file]");
    var target = document.getElementById(wrapper.getAttribute("data-file-into"));
    if (!input || !target || !window.FileReader) { return; }
    wrapper.hidden = false;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { return; }
      var reader = new FileReader();
      reader.onload = function () { target.value = String(reader.result); };
      reader.readAsText(file, "utf-8");
    });
  });
  // While the server imports (a large file takes seconds): say so, and do not send it twice.
  document.querySelectorAll("form[data-import]").forEach(function (form) {
    var status = form.querySelector("[data-import-status]");
    form.addEventListener("submit", function () {
      if (status) { status.hidden = false; }
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
})();

// Copy buttons on code snippets (Connect page, API documentation): hidden without this script,
// where the code can still be selected by hand.
(function () {
  var status = document.querySelector("[data-snippet-status]");
  document.querySelectorAll("[data-copy-snippet]").forEach(function (button) {
    var code = button.parentElement && button.parentElement.querySelector("pre code");
    if (!code || !navigator.clipboard || !window.isSecureContext) { return; }
    button.hidden = false;
    // Each button says what it copies, so a list of them is not ten times "Copy".
    var label = button.getAttribute("data-copy-label");
    if (!label) {
      var section = button.closest("section, li, div.prose") || document.body;
      var heading = section.querySelector("h2, h3");
      var index = Array.prototype.indexOf.call(section.querySelectorAll("[data-copy-snippet]"), button);
      label = "Copy snippet " + (index + 1) + (heading ? " of " + heading.textContent.trim() : "");
    }
    button.setAttribute("aria-label", label);
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent).then(function () {
        // The name keeps the visible word first ("Copied the recovery codes").
        button.textContent = "Copied";
        button.setAttribute("aria-label", label.replace(/^Copy/, "Copied"));
        if (status) { status.textContent = "Snippet copied to the clipboard."; }
        setTimeout(function () {
          button.textContent = "Copy";
          button.setAttribute("aria-label", label);
        }, 2000);
      });
    });
  });
})();

// Password forms: a "Show passwords" box that turns the form's password fields into text.
// Hidden without this script.
(function () {
  document.querySelectorAll("[data-show-passwords]").forEach(function (label) {
    var box = label.querySelector("input[type=checkbox]");
    var form = label.closest("form");
    if (!box || !form) { return; }
    var fields = form.querySelectorAll("input[type=password]");
    label.hidden = false;
    box.addEventListener("change", function () {
      fields.forEach(function (field) { field.type = box.checked ? "text" : "password"; });
    });
  });
})();
