// Runs the Connect page's Google Apps Script recipe under Node with stand-ins for the Apps Script
// services it uses: UrlFetchApp makes real (synchronous, like Apps Script's) HTTP requests to the
// server; PropertiesService holds PULSE_TOKEN from the environment; SpreadsheetApp records what
// the script writes. Prints that as JSON: {"sheet": name, "values": [[…], …]}.
// usage: node apps_script.js RECIPE.js
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const vm = require("node:vm");

// One request in a child process, so the recipe's synchronous calls can wait for it.
const FETCH = `
  const [url, headers] = JSON.parse(process.argv[1]);
  fetch(url, { headers }).then(async (r) => {
    process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() }));
  });`;

const UrlFetchApp = {
  fetch(url, options = {}) {
    const out = execFileSync(process.execPath, ["-e", FETCH, JSON.stringify([url, options.headers || {}])]);
    const { status, body } = JSON.parse(out);
    if (status >= 400) { throw new Error(`Request failed for ${url} returned code ${status}: ${body}`); }
    return { getResponseCode: () => status, getContentText: () => body };
  },
};

const written = { sheet: null, values: null, cleared: false };
const sheet = (name) => ({
  clearContents() { written.cleared = true; return this; },
  getRange(row, column, rows, columns) {
    return {
      setValues(values) {
        if (row !== 1 || column !== 1 || values.length !== rows || values.some((r) => r.length !== columns)) {
          throw new Error(`setValues: ${values.length}×${values[0].length} into ${rows}×${columns}`);
        }
        written.sheet = name;
        written.values = values;
      },
    };
  },
});
const SpreadsheetApp = {
  getActiveSpreadsheet: () => ({ getSheetByName: () => null, insertSheet: (name) => sheet(name) }),
};
const PropertiesService = {
  getScriptProperties: () => ({ getProperty: (key) => process.env[key] || null }),
};

const context = vm.createContext({ UrlFetchApp, SpreadsheetApp, PropertiesService, encodeURIComponent, JSON });
vm.runInContext(fs.readFileSync(process.argv[2], "utf8") + "\nimportPulseFeedback();", context);
if (!written.cleared) { throw new Error("the sheet was not cleared first"); }
process.stdout.write(JSON.stringify(written));
