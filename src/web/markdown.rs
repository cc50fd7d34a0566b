//! Markdown to HTML for the documentation pages (the API description's texts, the Connect page's
//! recipes), by pulldown-cmark. Raw HTML in the source is shown as text, never passed through;
//! every code block becomes a snippet with a Copy button (shown by `static/app.js`).
use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// The opening of a snippet: its Copy button (hidden until the script can copy) and the block.
fn snippet_start(kind: &CodeBlockKind) -> String {
    let language = match kind {
        CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or(""),
        CodeBlockKind::Indented => "",
    };
    let class = if language.is_empty() {
        String::new()
    } else {
        let safe: String = language
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        format!(" class=\"language-{safe}\"")
    };
    format!(
        "<div class=\"snippet\"><button type=\"button\" class=\"copy-snippet\" \
         data-copy-snippet hidden>Copy</button><pre tabindex=\"0\"><code{class}>"
    )
}

pub fn to_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Start(Tag::CodeBlock(kind)) => Event::Html(CowStr::from(snippet_start(&kind))),
        Event::End(TagEnd::CodeBlock) => Event::Html(CowStr::from("</code></pre></div>\n")),
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn code_becomes_markup_and_raw_html_stays_text() {
        let html = to_html("Use `cursor` <b>now</b>\n\n```python\nprint(\"<x>\")\n```\n");
        assert!(html.contains("<code>cursor</code>"), "{html}");
        assert!(html.contains("&lt;b&gt;now&lt;/b&gt;"), "{html}");
        assert!(html.contains(
            "<button type=\"button\" class=\"copy-snippet\" data-copy-snippet hidden>Copy</button>\
             <pre tabindex=\"0\"><code class=\"language-python\">print(\"&lt;x&gt;\")\n</code></pre>"
        ), "{html}");
    }
}
