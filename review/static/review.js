// The review page works without JavaScript; this only helps with the forward button and the focus.
document.addEventListener("DOMContentLoaded", function () {
  var forward = document.getElementById("forward");
  var to = document.getElementById("forwarded-to");
  if (forward && to) {
    forward.addEventListener("click", function (event) {
      if (!to.value.trim()) {
        event.preventDefault();
        to.setCustomValidity("Say to whom the item is forwarded");
        to.reportValidity();
      }
    });
    to.addEventListener("input", function () { to.setCustomValidity(""); });
  }
  // After a decision or an answer the page comes back at a fragment naming the next control (the
  // next item's yes on the second look, the next label's yes or Confirm on an item, the "Saved" line
  // after a decision): focus it, so the keyboard goes on from there, not from the top. Browsers focus
  // such a target themselves; this also covers the last row of the second look answered. Not when
  // the page says why something was refused (role=alert) or a field asks for attention.
  var id = decodeURIComponent(location.hash.slice(1));
  if (!id || document.querySelector("[autofocus], [role=alert]")) {
    return;
  }
  var target = document.getElementById(id);
  if (!target && /^yes-\d+$/.test(id)) {
    // The last row was answered: the nearest row left.
    var rows = document.querySelectorAll("button[id^='yes-']");
    target = rows.length ? rows[rows.length - 1] : null;
  }
  if (target) {
    target.focus();
  }
});
