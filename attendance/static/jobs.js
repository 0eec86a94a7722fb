// A background job's page: asks for its state every second and shows the count, then the
// download link, or the French message of a failure. Without JavaScript, reload the page.
(function () {
  var root = document.getElementById("job");
  if (!root) return;
  var url = root.getAttribute("data-status-url");
  function show(status) {
    var state = document.getElementById("job-state");
    state.textContent = status.state_label;
    state.setAttribute("data-state", status.state);
    var bar = document.getElementById("job-progress");
    bar.max = status.total || 1;
    bar.value = status.done;
    document.getElementById("job-count").textContent = status.progress_label;
    if (status.download_url) {
      document.getElementById("job-download").href = status.download_url;
      document.getElementById("job-ready").hidden = false;
    }
    if (status.error) {
      var error = document.getElementById("job-error");
      error.textContent = status.error;
      error.hidden = false;
    }
    return status.state === "done" || status.state === "failed";
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (status) { if (!show(status)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  var initial = document.getElementById("job-state").getAttribute("data-state");
  if (initial !== "done" && initial !== "failed") poll();
})();
