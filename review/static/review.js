// The review page works without JavaScript; this only helps with the forward button.
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
});
