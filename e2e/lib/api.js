// Calls the data API the way a reporting tool does: a Bearer token, no cookies.
"use strict";

async function whoami(baseUrl, token) {
  const response = await fetch(`${baseUrl}/api/v1/whoami`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return response.status;
}

module.exports = { whoami };
