/* Keyboard and screen-reader help that Dash's components cannot give (served from the dashboard's
   own origin, so the Content-Security-Policy's script-src 'self' allows it; no inline script).

   The selections live in the URL's fragment (#division=HE&indicator=...: dashboard/components/state.py),
   so nothing here may set location.hash to a bare anchor:

   1. The skip link moves focus to <main> without touching the URL.
   2. Links marked data-keep-state (the "(definition)" links and glossary terms) carry the current
      fragment to the page they open, plus goto=<anchor> (the entry to show) and from=<path> (the
      page left, whose navigation link then carries the whole state back); Back returns to the
      page's own URL, state and all. On the page opened, the entry named by goto is scrolled to
      and focused.
   3. The chart toolbars (plotly's modebar buttons) take no Tab stop: every export they offer is
      also a download button of the page, reachable by keyboard. */
(function () {
  "use strict";

  function params(hash) {
    return new URLSearchParams((hash || "").replace(/^#/, ""));
  }

  function focusMain(event) {
    var link = event.target.closest && event.target.closest("a.skip-link");
    if (!link) { return false; }
    var main = document.getElementById("main");
    if (!main) { return false; }
    event.preventDefault();
    if (!main.hasAttribute("tabindex")) { main.setAttribute("tabindex", "-1"); }
    main.focus();
    main.scrollIntoView();
    return true;
  }

  function keepState(event) {
    var link = event.target.closest && event.target.closest("a[data-keep-state]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) { return; }
    var url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin) { return; }
    var state = params(window.location.hash);
    state.delete("goto");
    state.delete("from");
    var anchor = url.hash.replace(/^#/, "");
    if (anchor) { state.set("goto", anchor); }
    state.set("from", window.location.pathname);
    event.preventDefault();
    window.location.assign(url.pathname + "#" + state.toString());
  }

  document.addEventListener("click", function (event) {
    if (!focusMain(event)) { keepState(event); }
  });

  // goto=<id>: the entry to show once the page has drawn it (the pages router renders after load).
  var wanted = params(window.location.hash).get("goto");

  function showWanted() {
    if (!wanted) { return; }
    var target = document.getElementById(wanted);
    if (!target) { return; }
    wanted = null;
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.classList.add("goto-target");
    target.focus({preventScroll: true});
    target.scrollIntoView({block: "start"});
  }

  function quietToolbars(root) {
    var buttons = Array.prototype.slice.call(root.querySelectorAll(".modebar-btn:not([tabindex='-1'])"));
    if (root.matches && root.matches(".modebar-btn")) { buttons.push(root); }
    for (var i = 0; i < buttons.length; i++) { buttons[i].setAttribute("tabindex", "-1"); }
  }

  function start() {
    quietToolbars(document);
    showWanted();
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        var added = records[i].addedNodes;
        for (var j = 0; j < added.length; j++) {
          if (added[j].nodeType === 1) { quietToolbars(added[j]); }
        }
      }
      showWanted();
    }).observe(document.body, {childList: true, subtree: true});
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
