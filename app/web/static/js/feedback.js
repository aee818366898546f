// The feedback form: POST /api/v1/feedback with the page it was opened from, a live count of
// the message's characters, each refusal shown at its field, and a thank-you once stored.

import { api } from "./api.js";
import { t, tn } from "./i18n.js";
import { byId, onSubmit, showAlert } from "./ui.js";

const FIELDS = ["rating", "category", "message", "would_recommend", "would_return"];

const form = byId("feedback-form");
const message = byId("message");
const count = byId("message-count");
const limit = Number(count.dataset.limit);
const send = byId("send");

function showCount() {
  const left = limit - message.value.length;
  count.textContent = tn("{n} character left", "{n} characters left", left);
}

/** The checked radio's value in a group, or null when none is checked. */
function checked(name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  return input ? input.value : null;
}

function clearErrors() {
  showAlert(byId("feedback-form-error"), "");
  for (const field of FIELDS) showAlert(byId(`${field}-error`), "");
  form.category.removeAttribute("aria-invalid");
  message.removeAttribute("aria-invalid");
}

/** Show `text` beside `field` and take the volunteer there. */
function fieldError(field, text) {
  showAlert(byId(`${field}-error`), text);
  const target = field === "category" || field === "message" ? form.elements[field] : form.querySelector(`input[name="${field}"]`);
  if (field === "category" || field === "message") target.setAttribute("aria-invalid", "true");
  target.focus();
}

function body() {
  const rating = checked("rating");
  const { page, task, language } = form.dataset;
  return {
    rating: rating === null ? null : Number(rating),
    category: form.category.value,
    message: message.value,
    would_recommend: checked("would_recommend"),
    would_return: checked("would_return"),
    page: page || null,
    task: task || null,
    language: language || null,
  };
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  // What the browser can tell at once; the server checks everything again.
  if (!form.category.value) {
    fieldError("category", t("Please choose what your feedback is about."));
    return;
  }
  if (!message.value.trim()) {
    fieldError("message", t("Please write a message."));
    return;
  }
  send.disabled = true;
  try {
    await api("feedback", { method: "POST", json: body() });
  } catch (error) {
    send.disabled = false;
    if (error.field && FIELDS.includes(error.field)) {
      fieldError(error.field, error.message);
    } else if (error.code === "rate_limited") {
      showAlert(byId("feedback-form-error"), t("You have sent a lot of feedback in a short time. Please try again later."));
    } else {
      showAlert(byId("feedback-form-error"), error.message);
    }
    return;
  }
  form.hidden = true;
  const thanks = byId("thanks");
  thanks.hidden = false;
  byId("thanks-heading").focus();
}

message.addEventListener("input", showCount);
onSubmit(form, submit);
showCount();
