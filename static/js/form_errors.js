// After a failed submit the server sends the form back with aria-invalid on the fields in
// error: put the keyboard focus on the first of them (RGAA 11.10, 7.5), so a person does not
// start again from the top of the page. Pages without errors are left alone.
const first = document.querySelector("form [aria-invalid='true']");
if (first) {
  first.focus({ preventScroll: true });
  first.scrollIntoView({ block: "center" });
}
