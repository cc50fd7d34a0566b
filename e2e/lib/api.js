// Calls the data API the way a reporting tool does: a Bearer token, no cookies.
"use strict";

async function whoami(baseUrl, token, userAgent = "pulse-e2e") {
  const response = await fetch(`${baseUrl}/api/v1/whoami`, {
    headers: { Authorization: `Bearer ${token}`, "User-Agent": userAgent },
  });
  return response.status;
}

/** Reports `token` as found in public, the way a secret scanner does. */
async function reportLeak(baseUrl, token, url) {
  const response = await fetch(`${baseUrl}/api/v1/token-leaks`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify([{ token, type: "pulse_api_token", url, source: "content" }]),
  });
  return response.json();
}

module.exports = { whoami, reportLeak };
