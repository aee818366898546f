// The interface-language switcher in every page's header: picking a language sends the form
// at once (without scripts, its button does).
const form = document.querySelector("form.locale-switch");
if (form) {
  form.querySelector("button")?.setAttribute("hidden", "");
  form.querySelector("select")?.addEventListener("change", () => form.requestSubmit());
}
