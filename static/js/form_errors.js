// After a failed submit the server sends the form back with aria-invalid on the fields in
// error: put the keyboard focus on the first of them (RGAA 11.10, 7.5), so a person does not
// start again from the top of the page. An error about the whole form (no field marked) gets
// the focus itself. Pages without errors, or with a field that asks for focus, are left alone.
const first = document.querySelector("form [aria-invalid='true']");
const formError = document.querySelector("form [role='alert']");
if (first) {
  first.focus({ preventScroll: true });
  first.scrollIntoView({ block: "center" });
} else if (formError && !document.querySelector("[autofocus]")) {
  formError.setAttribute("tabindex", "-1");
  formError.focus();
}
