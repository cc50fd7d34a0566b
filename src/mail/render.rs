//! A composed message as the two parts of a `multipart/alternative` mail: plain text
//! (`templates/mail/notice.txt`) and HTML (`templates/mail/notice.html`, everything escaped).
use askama::Template;

use crate::mail::compose::Email;

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct TextPart<'a> {
    email: &'a Email,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct HtmlPart<'a> {
    email: &'a Email,
}

/// The plain-text and HTML bodies of `email`.
pub fn parts(email: &Email) -> Result<(String, String), askama::Error> {
    Ok((TextPart { email }.render()?, HtmlPart { email }.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parts_carry_the_facts_and_the_html_is_escaped() {
        let email = Email {
            subject: "S".into(),
            greeting: "Hello <Ann>,".into(),
            paragraphs: vec!["Found at <script>x</script>.".into()],
            facts: vec![("When", "2026-12-02 10:00 UTC".into())],
            action: Some(("Open".into(), "https://p.example/a?b=1&c=2".into())),
            footer: "Footer.".into(),
        };
        let (text, html) = parts(&email).unwrap();
        assert!(text.contains("Hello <Ann>,"), "{text}");
        assert!(text.contains("When: 2026-12-02 10:00 UTC"), "{text}");
        assert!(text.contains("https://p.example/a?b=1&c=2"), "{text}");
        assert!(
            html.contains("Hello &#60;Ann&#62;,") || html.contains("Hello &lt;Ann&gt;,"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("2026-12-02 10:00 UTC"), "{html}");
    }
}
