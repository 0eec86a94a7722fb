// Irreversible actions ask first: any form with data-confirm="…" shows the question and is
// sent only once the user agrees. Served from our origin, so the CSP (script-src 'self')
// lets it run; without JavaScript the form still works, without the question.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  // A form's own check may have refused already (e.g. no signature yet): do not ask then.
  if (question && !event.defaultPrevented && !window.confirm(question)) {
    event.preventDefault();
  }
});
