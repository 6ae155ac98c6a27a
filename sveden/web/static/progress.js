// The progress of a check: poll the API, update the counters, reload when the check ends.
(function () {
  var box = document.getElementById("check");
  if (!box) { return; }
  var api = box.getAttribute("data-api"), state = box.getAttribute("data-state");
  function set(id, text) { var el = document.getElementById(id); if (el) { el.textContent = text; } }
  function poll() {
    fetch(api, {headers: {"Accept": "application/json"}, cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.state !== state) { window.location.reload(); return; }
      if (s.state === "queued") { set("position", String(s.position)); }
      if (s.state === "running") {
        var p = s.progress;
        set("pages", String(p.pages)); set("documents", String(p.documents));
        if (p.section) { set("section", p.section_no + " из " + p.sections_total + " — «" + p.section + "»"); }
      }
      window.setTimeout(poll, 500);
    }).catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
})();
