// The profile form, shared by the Profile page and the optional first step of Speak.
// Choices come from GET /api/v1/profile/options, current values from GET /api/v1/me;
// PUT /api/v1/me/profile saves. An empty choice means "prefer not to say" and is sent as null.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { byId, showAlert } from "./ui.js";

// The last one is a checkbox: whether the display name may be shown on the leaderboards.
const OPT_IN = "leaderboard_opt_in";
export const FIELDS = ["display_name", "age_group", "gender", "mother_tongue", "region_code", OPT_IN];

// Whether Speak should offer the profile step: not once the person saved or skipped it.
const STEP_FLAG = "crowdsource.profile-step";

export function profileStepDone() {
  try {
    return localStorage.getItem(STEP_FLAG) !== null;
  } catch {
    return false; // storage blocked: asking again is harmless (the step is skippable)
  }
}

/** Remember that the profile step was "saved" or "skipped". */
export function markProfileStepDone(how) {
  try {
    localStorage.setItem(STEP_FLAG, how);
  } catch {
    // Storage blocked (private mode in some browsers): nothing to remember with.
  }
}

function addOption(parent, value, label, lang) {
  const option = document.createElement("option");
  option.value = value;
  option.textContent = label;
  if (lang) option.lang = lang;
  parent.append(option);
}

function fillChoices(form, options) {
  for (const { value, label } of options.age_groups || []) addOption(form.elements.age_group, value, label);
  for (const { value, label } of options.genders || []) addOption(form.elements.gender, value, label);
  for (const { code, name, native_name: nativeName } of options.languages || []) {
    addOption(form.elements.mother_tongue, code, nativeName && nativeName !== name ? `${name} – ${nativeName}` : name);
  }
  // States first, then union territories, each in its own group.
  const groups = { state: t("States"), union_territory: t("Union territories") };
  for (const [kind, label] of Object.entries(groups)) {
    const group = document.createElement("optgroup");
    group.label = label;
    for (const region of (options.regions || []).filter((r) => r.kind === kind)) {
      addOption(group, region.code, region.name);
    }
    if (group.children.length) form.elements.region_code.append(group);
  }
}

/** Whether the volunteer changed this field before the stored values arrived (on a slow
 * network the form is there well before them): their change is kept, not overwritten. */
function editedBeforeLoad(element) {
  if (element.type === "checkbox") return element.checked !== element.defaultChecked;
  if (element instanceof HTMLSelectElement) return false; // its choices come with the values
  return element.value !== element.defaultValue;
}

function fillValues(form, profile) {
  for (const field of FIELDS) {
    if (editedBeforeLoad(form.elements[field])) continue;
    const value = profile && profile[field];
    if (field === OPT_IN) form.elements[field].checked = value === true;
    else form.elements[field].value = value ?? "";
  }
}

function valueOf(form, field) {
  if (field === OPT_IN) return form.elements[field].checked;
  const value = form.elements[field].value.trim();
  return value === "" ? null : value;
}

function clearErrors(form) {
  showAlert(byId("profile-form-error"), "");
  for (const field of FIELDS) {
    showAlert(byId(`${field}-error`), "");
    form.elements[field].removeAttribute("aria-invalid");
  }
}

/** Which field a 422 is about: `error.field` if the API names it, else a best guess. */
function fieldOf(error) {
  if (error.field && FIELDS.includes(error.field)) return error.field;
  if (error.code === "personal_data") return "display_name";
  return FIELDS.find((field) => error.message.includes(field)) || null;
}

function showError(form, error) {
  const field = error.status === 422 ? fieldOf(error) : null;
  if (field) {
    showAlert(byId(`${field}-error`), error.message);
    // Refused (no display name yet): the box goes back to what is stored, unticked.
    if (field === OPT_IN) form.elements[field].checked = false;
    form.elements[field].setAttribute("aria-invalid", "true");
    form.elements[field].focus();
  } else {
    showAlert(byId("profile-form-error"), error.message);
  }
}

/**
 * Load choices and current values into `form` and wire saving.
 * @param {HTMLFormElement} form
 * @param {object} options
 * @param {boolean} [options.saveOnChange] save each field as soon as it changes
 * @param {(profile: object) => void} [options.onSaved] called after every successful save
 * @returns {Promise<void>} resolves once the form is filled (or failed to load, with a message)
 */
export async function initProfileForm(form, { saveOnChange = false, onSaved = () => {} } = {}) {
  async function save(fields) {
    const body = Object.fromEntries(fields.map((field) => [field, valueOf(form, field)]));
    clearErrors(form);
    try {
      const answer = await api("me/profile", { method: "PUT", json: body });
      markProfileStepDone("saved");
      // Clearing the display name also takes the name off the leaderboards.
      form.elements[OPT_IN].checked = answer.profile[OPT_IN] === true;
      onSaved(answer.profile);
    } catch (error) {
      showError(form, error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(FIELDS);
  });
  if (saveOnChange) {
    for (const field of FIELDS) form.elements[field].addEventListener("change", () => save([field]));
  }

  try {
    const [options, me] = await Promise.all([api("profile/options"), api("me")]);
    fillChoices(form, options);
    fillValues(form, me.profile);
  } catch (error) {
    showAlert(byId("profile-form-error"), error.message);
  }
}
