// Keyboard-first work on the queue and on a complaint. Plain JS, no dependencies.
(function () {
  "use strict";

  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
  var detail = document.querySelector("[data-detail]");
  var help = document.getElementById("kbd-help");
  var storeKey = "agents:selected:" + location.pathname + location.search;
  var selected = -1;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(url, fields) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    fields.csrfmiddlewaretoken = csrfToken();
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function select(index) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (selected >= 0 && rows[selected]) rows[selected].classList.remove("is-selected");
    selected = index;
    rows[selected].classList.add("is-selected");
    rows[selected].scrollIntoView({ block: "nearest" });
    try { sessionStorage.setItem(storeKey, String(selected)); } catch (e) { /* private mode */ }
  }

  function open(row) {
    if (row && row.dataset.href) location.href = row.dataset.href;
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) { location.href = link.href; return true; }
    return false;
  }

  function toggleHelp(show) {
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  // --- bulk selection ------------------------------------------------------------------
  var bulkBar = document.querySelector("[data-bulk-bar]");
  var checkAll = document.querySelector("[data-check-all]");
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("[data-row] input[name=ids]")); }
  function refreshBulk() {
    if (!bulkBar) return;
    var ticked = boxes().filter(function (b) { return b.checked; }).length;
    var counter = bulkBar.querySelector("[data-bulk-count]");
    if (counter) counter.textContent = String(ticked);
    bulkBar.classList.toggle("idle", ticked === 0);
    if (checkAll) checkAll.checked = ticked > 0 && ticked === boxes().length;
  }
  if (checkAll) {
    checkAll.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = checkAll.checked; });
      refreshBulk();
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "ids") refreshBulk();
  });
  refreshBulk();

  // --- per-filter counts: fetched after the list is on screen ---------------------------
  var countsHolder = document.querySelector("[data-counts-url]");
  if (countsHolder && window.fetch) {
    fetch(countsHolder.dataset.countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        document.querySelectorAll("[data-count-for]").forEach(function (cell) {
          var count = body.counts[cell.dataset.countFor];
          if (!count) return;
          cell.textContent = count.text;
          var link = cell.closest("a");
          if (count.value === 0 && link && !link.classList.contains("selected")) {
            link.classList.add("empty");
            var facet = link.closest("[data-facet]");
            // Thirty empty channels and categories help nobody: hide those, keep the rest visible.
            if (facet && /channel|category/.test(facet.dataset.facet)) link.parentNode.hidden = true;
          }
        });
        document.body.classList.add("counts-loaded");
      })
      .catch(function () { /* the counts are a convenience; the queue works without them */ });
  }

  // --- rows: click to open ---------------------------------------------------------------
  rows.forEach(function (row, index) {
    row.addEventListener("click", function (event) {
      var tag = event.target.tagName;
      if (tag === "INPUT" || tag === "A" || tag === "BUTTON" || tag === "SELECT" || event.target.closest("form.promote-form")) {
        if (tag !== "A") select(index);
        return;
      }
      select(index);
      open(row);
    });
  });
  if (rows.length) {
    var remembered = parseInt((function () { try { return sessionStorage.getItem(storeKey); } catch (e) { return null; } })() || "0", 10);
    select(isNaN(remembered) ? 0 : remembered);
  }

  // A link to a complaint with #resolve lands in the resolution box.
  if (detail && location.hash === "#resolve") {
    var box = document.getElementById("resolve-note");
    if (box) box.focus();
  }

  // Ctrl/Cmd+Enter sends the form a text box belongs to.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.tagName === "TEXTAREA" && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit ? event.target.form.requestSubmit() : event.target.form.submit();
    }
  });

  document.querySelectorAll("[data-help-toggle]").forEach(function (button) {
    button.addEventListener("click", function () { toggleHelp(); });
  });
  if (help) help.addEventListener("click", function (event) { if (event.target === help) toggleHelp(false); });

  // --- shortcuts -------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var row = rows[selected];
    var handled = true;
    switch (event.key) {
      case "j":
        if (rows.length) select(selected + 1); else if (detail) follow("[data-next]");
        break;
      case "k":
        if (rows.length) select(selected - 1); else handled = false;
        break;
      case "o":
      case "Enter":
        if (row) open(row); else handled = false;
        break;
      case "a":
        if (detail) {
          var take = document.querySelector("[data-action=take]");
          if (take) take.click();
        } else if (row && row.dataset.takeUrl) {
          post(row.dataset.takeUrl, { next: location.pathname + location.search });
        }
        break;
      case "r":
        if (detail) {
          var note = document.getElementById("resolve-note");
          if (note) note.focus();
        } else if (row && row.dataset.href) {
          location.href = row.dataset.href + "#resolve";
        }
        break;
      case "n":
        var noteBox = document.getElementById("note-text");
        if (noteBox) noteBox.focus(); else handled = false;
        break;
      case "x":
        if (row) {
          var box = row.querySelector("input[name=ids]");
          if (box) { box.checked = !box.checked; refreshBulk(); }
        }
        break;
      case "/":
        var search = document.querySelector("[data-search]");
        if (search) { search.focus(); search.select(); } else handled = false;
        break;
      case "u":
      case "Escape":
        if (help && !help.hidden) toggleHelp(false);
        else if (!follow("[data-back]")) handled = false;
        break;
      case "?":
        toggleHelp();
        break;
      case "ArrowRight":
        handled = rows.length ? follow("[data-next]") : false;
        break;
      case "ArrowLeft":
        handled = rows.length ? follow("[data-prev]") : false;
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  });
})();
