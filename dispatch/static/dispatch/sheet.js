// The sheet's Print button (no inline script: the CSP forbids it).
const button = document.getElementById("sheet-print");
if (button) button.addEventListener("click", () => window.print());
