// Irreversible actions ask first: any form with data-confirm="…" shows the question and is
// sent only once the user agrees. Served from our origin, so the CSP (script-src 'self')
// lets it run; without JavaScript the form still works, without the question.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
