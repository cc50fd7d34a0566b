//! A User-Agent as people recognise it: "Power BI / Excel (Power Query)" for a token's client,
//! "Firefox on Linux" for a browser session. One function, `describe`, for both lists.

/// Known reporting tools and HTTP libraries, by a fragment of their User-Agent, most specific
/// first.
const TOOLS: [(&str, &str); 17] = [
    ("Microsoft.Data.Mashup", "Power BI / Excel (Power Query)"),
    ("PowerBI", "Power BI"),
    ("Google-Apps-Script", "Google Sheets (Apps Script)"),
    ("python-requests", "Python (requests)"),
    ("python-httpx", "Python (httpx)"),
    ("aiohttp", "Python (aiohttp)"),
    ("Python-urllib", "Python (urllib, e.g. pandas)"),
    ("curl/", "curl"),
    ("Wget", "Wget"),
    ("PowerShell", "PowerShell"),
    ("Go-http-client", "Go"),
    ("okhttp", "Java / Kotlin (OkHttp)"),
    ("Java/", "Java"),
    ("node-fetch", "Node.js"),
    ("axios", "Node.js (axios)"),
    ("node", "Node.js"),
    ("PostmanRuntime", "Postman"),
];

/// Browsers, in the order that tells them apart: Edge and Opera also say Chrome, Chrome also
/// says Safari.
const BROWSERS: [(&str, &str); 5] = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
];

const SYSTEMS: [(&str, &str); 6] = [
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

/// Longest User-Agent kept; longer ones are cut (they are shown, not parsed).
pub const MAX_LEN: usize = 200;

fn first_match(user_agent: &str, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table
        .iter()
        .find(|(fragment, _)| user_agent.contains(fragment))
        .map(|(_, name)| *name)
}

/// The tool ("Power BI / Excel (Power Query)"), else the browser and system ("Firefox on
/// Linux", "Web browser on Linux"), else the agent as it is (cut to `MAX_LEN`), and "Unknown
/// client" without one.
pub fn describe(user_agent: &str) -> String {
    if user_agent.trim().is_empty() {
        return "Unknown client".into();
    }
    if let Some(tool) = first_match(user_agent, &TOOLS) {
        return tool.to_owned();
    }
    let browser = first_match(user_agent, &BROWSERS)
        .or_else(|| user_agent.starts_with("Mozilla/").then_some("Web browser"));
    match (browser, first_match(user_agent, &SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, _) => truncate(user_agent),
    }
}

/// The User-Agent as stored: at most `MAX_LEN` characters.
pub fn truncate(user_agent: &str) -> String {
    user_agent.trim().chars().take(MAX_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_and_browsers_get_readable_names() {
        let cases = [
            (
                "Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)",
                "Power BI / Excel (Power Query)",
            ),
            ("python-requests/2.32.3", "Python (requests)"),
            ("curl/8.5.0", "curl"),
            ("Mozilla/5.0 (X11; Linux x86_64)", "Web browser on Linux"),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0 Safari/537.36 Edg/120.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                 Version/17.0 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            ("", "Unknown client"),
            ("MyReportBot/1.0", "MyReportBot/1.0"),
        ];
        for (agent, name) in cases {
            assert_eq!(describe(agent), name, "{agent}");
        }
        assert_eq!(describe(&"x".repeat(500)).len(), MAX_LEN);
    }
}
