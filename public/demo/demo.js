// The demo page's logic: the browser SDK, loaded the way an app would load it, against the
// server that serves this page. The smoke test (test/browser/smoke.mjs) reads #health, #me,
// #error and body[data-state] ("loading" | "needs-key" | "done" | "error").
import { createClient } from "/sdk.js";

const form = document.querySelector("#key-form");
const keyInput = document.querySelector("#key");
const healthOut = document.querySelector("#health");
const meOut = document.querySelector("#me");
const errorOut = document.querySelector("#error");

const show = (element, value) => {
  element.textContent = JSON.stringify(value, null, 2);
};

/** Describes an SDK error (code, status, message) or anything else that was thrown. */
function describe(error) {
  if (error && typeof error === "object") {
    const { code, status, message } = /** @type {{ code?: string, status?: number, message?: string }} */ (error);
    return [code, status && `HTTP ${status}`, message].filter(Boolean).join(" · ") || String(error);
  }
  return String(error);
}

async function run(key) {
  document.body.dataset.state = "loading";
  healthOut.textContent = "";
  meOut.textContent = "";
  errorOut.textContent = "";
  try {
    const client = createClient(key ? { url: location.origin, key } : { url: location.origin });
    show(healthOut, await client.health());
    if (!key) {
      document.body.dataset.state = "needs-key";
      return;
    }
    show(meOut, await client.auth.me());
    document.body.dataset.state = "done";
  } catch (error) {
    errorOut.textContent = describe(error);
    document.body.dataset.state = "error";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  const url = new URL(location.href);
  if (key) url.searchParams.set("key", key);
  else url.searchParams.delete("key");
  history.replaceState(null, "", url);
  run(key);
});

const initialKey = new URLSearchParams(location.search).get("key")?.trim() ?? "";
keyInput.value = initialKey;
run(initialKey);
