// Printed sheets (invitations, kiosk cards): a button that opens the browser's print dialog.
// Served from our origin so the CSP (script-src 'self') lets it run.
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});
