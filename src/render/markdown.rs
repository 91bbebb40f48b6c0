//! Markdown pages: the maintainers' own pages (`<DATA>/pages/*.md`), never uploaded text,
//! so raw HTML passes through as in mdBook and zola.
//!
//! Extensions are chosen in one place ([`options`]). Headings get `id`s (slugs, unique on
//! the page, unless `{#id}` gives one) and a self-link named "Link to this section" (not
//! `aria-hidden`: a link takes keyboard focus, and a focusable element hidden from screen
//! readers is announced as nothing, WCAG 4.1.2). A relative link or image in a page
//! is written from the site's root (`charts/index.html`, `privacy/index.html`), the same
//! in every page, and is rewritten to be relative to where the page lands.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::paths::Anchors;

/// A page rendered to HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The text of the first top-level heading (or of the first heading), if any.
    pub title: Option<String>,
    pub html: String,
}

/// The Markdown extensions the site turns on.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `text` for a page whose path to the site root is `root` (`""`, `"../"`).
pub fn render(text: &str, root: &str) -> Rendered {
    let mut events: Vec<Event<'_>> = Parser::new_ext(text, options()).collect();
    let title = add_heading_anchors(&mut events);
    for event in &mut events {
        if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event {
            if !root.is_empty() && is_site_relative(dest_url) {
                *dest_url = CowStr::from(format!("{root}{dest_url}"));
            }
        }
    }
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered { title, html }
}

/// Gives every heading an `id` and a self-link; returns the page title.
fn add_heading_anchors(events: &mut Vec<Event<'_>>) -> Option<String> {
    let mut anchors = Anchors::default();
    // Ids given with `{#id}` are taken first.
    for event in events.iter() {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = event {
            anchors.unique(id, "section");
        }
    }
    let mut title: Option<(HeadingLevel, String)> = None;
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Heading { level, id, .. }) = &events[i] else {
            i += 1;
            continue;
        };
        let level = *level;
        let has_id = id.is_some();
        let end = i + events[i..].iter().position(|e| matches!(e, Event::End(TagEnd::Heading(_)))).unwrap_or(0);
        let text: String = events[i + 1..end]
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        if title.as_ref().is_none_or(|(l, _)| level < *l && *l != HeadingLevel::H1) {
            title = Some((level, text.clone()));
        }
        let anchor = if let Event::Start(Tag::Heading { id: Some(id), .. }) = &events[i] {
            id.to_string()
        } else {
            anchors.unique(&text, "section")
        };
        if !has_id {
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(CowStr::from(anchor.clone()));
            }
        }
        let link = format!(
            r##" <a class="anchor" href="#{}" aria-label="Link to this section">#</a>"##,
            escape_attribute(&anchor)
        );
        events.insert(end, Event::InlineHtml(CowStr::from(link)));
        i = end + 2;
    }
    title.map(|(_, text)| text)
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A link to be resolved from the site root: no scheme, not absolute, not a fragment.
fn is_site_relative(url: &str) -> bool {
    if url.is_empty() || url.starts_with(['/', '#', '?']) {
        return false;
    }
    let scheme_end = url.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')));
    !matches!(scheme_end, Some(n) if n > 0 && url[n..].starts_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_anchors_and_the_first_top_heading_is_the_title() {
        let page = render("## Intro\n\n# Privacy policy\n\n## Intro\n\n### What `X` is {#x}\n", "../");
        assert_eq!(page.title.as_deref(), Some("Privacy policy"));
        assert!(
            page.html.contains(
                r##"<h2 id="intro">Intro <a class="anchor" href="#intro" aria-label="Link to this section">#</a></h2>"##
            ),
            "{}",
            page.html
        );
        assert!(page.html.contains(r#"<h1 id="privacy-policy">"#));
        assert!(page.html.contains(r#"<h2 id="intro-2">"#));
        assert!(
            page.html.contains(r##"<h3 id="x">What <code>X</code> is <a class="anchor" href="#x""##),
            "{}",
            page.html
        );
    }

    #[test]
    fn tables_render() {
        let page = render("| a | b |\n|---|---|\n| 1 | 2 |\n", "");
        assert!(page.html.contains("<table>"));
        assert!(page.html.contains("<td>1</td>"));
        assert_eq!(page.title, None);
    }

    #[test]
    fn relative_links_are_written_from_the_root() {
        let text = "[charts](charts/index.html) [abs](https://go.dev/) [here](#x) [top](/x) [mail](mailto:a@b) ![i](static/a.png)";
        let page = render(text, "../");
        assert!(page.html.contains(r#"href="../charts/index.html""#));
        assert!(page.html.contains(r#"href="https://go.dev/""#));
        assert!(page.html.contains(r##"href="#x""##));
        assert!(page.html.contains(r#"href="/x""#));
        assert!(page.html.contains(r#"href="mailto:a@b""#));
        assert!(page.html.contains(r#"src="../static/a.png""#));
        assert!(render(text, "").html.contains(r#"href="charts/index.html""#));
    }

    #[test]
    fn site_relative_urls() {
        assert!(is_site_relative("privacy/index.html"));
        assert!(!is_site_relative("a:b/c.html"));
        assert!(is_site_relative("./x.html"));
        assert!(!is_site_relative("javascript:alert(1)"));
        assert!(!is_site_relative(""));
    }
}
