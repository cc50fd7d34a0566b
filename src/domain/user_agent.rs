//! A readable name for the client behind a User-Agent, for "who uses this token".

/// Known reporting tools and HTTP libraries, by a fragment of their User-Agent, most specific
/// first.
const KNOWN: [(&str, &str); 18] = [
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
    ("Mozilla/", "Web browser"),
];

/// Longest User-Agent kept; longer ones are cut (they are shown, not parsed).
pub const MAX_LEN: usize = 200;

/// "Power BI / Excel (Power Query)" for `Microsoft.Data.Mashup (https://go.microsoft.com/…)`;
/// an unknown agent as it is (cut to `MAX_LEN`), and "Unknown client" without one.
pub fn describe(user_agent: &str) -> String {
    if user_agent.trim().is_empty() {
        return "Unknown client".into();
    }
    KNOWN
        .iter()
        .find(|(fragment, _)| user_agent.contains(fragment))
        .map_or_else(|| truncate(user_agent), |(_, name)| (*name).to_owned())
}

/// The User-Agent as stored: at most `MAX_LEN` characters.
pub fn truncate(user_agent: &str) -> String {
    user_agent.trim().chars().take(MAX_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_agents_get_readable_names() {
        let cases = [
            (
                "Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)",
                "Power BI / Excel (Power Query)",
            ),
            ("python-requests/2.32.3", "Python (requests)"),
            ("curl/8.5.0", "curl"),
            ("Mozilla/5.0 (X11; Linux x86_64)", "Web browser"),
            ("", "Unknown client"),
            ("MyReportBot/1.0", "MyReportBot/1.0"),
        ];
        for (agent, name) in cases {
            assert_eq!(describe(agent), name, "{agent}");
        }
        assert_eq!(describe(&"x".repeat(500)).len(), MAX_LEN);
    }
}
