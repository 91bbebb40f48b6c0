//! Markdown pages: the maintainers' own pages (`<DATA>/pages/*.md`), never uploaded text,
//! so raw HTML passes through as in mdBook and zola.
//!
//! Extensions are chosen in one place ([`options`]). Headings get `id`s (slugs that keep
//! the letters of every script, unique on the page, unless `{#id}` gives one) and a
//! self-link named "Link to this section" (not `aria-hidden`: a link takes keyboard focus,
//! and a focusable element hidden from screen readers is announced as nothing, WCAG
//! 4.1.2). A relative Markdown link or image in a page is written from the site's root
//! (`charts/index.html`, `privacy/index.html`), the same in every page, and is rewritten
//! to be relative to where the page lands; one that climbs above the root (`../x.html`) is
//! named in [`Rendered::outside`]. Links in raw HTML (`<a href>`) are left as written.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::paths::Anchors;

/// A page rendered to HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The text of the first top-level heading (or of the first heading), if any.
    pub title: Option<String>,
    pub html: String,
    /// The relative links and images that climb above the site's root (`../index.html`):
    /// they lead out of the site wherever it is published.
    pub outside: Vec<String>,
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
    let mut outside = Vec::new();
    for event in &mut events {
        if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event {
            if is_site_relative(dest_url) {
                if climbs_out(dest_url) {
                    outside.push(dest_url.to_string());
                }
                if !root.is_empty() {
                    *dest_url = CowStr::from(format!("{root}{dest_url}"));
                }
            }
        }
    }
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered { title, html, outside }
}

/// Gives every heading an `id` and a self-link; returns the page title.
fn add_heading_anchors(events: &mut Vec<Event<'_>>) -> Option<String> {
    let mut anchors = Anchors::default();
    // Ids given with `{#id}` are taken first.
    for event in events.iter() {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = event {
            anchors.reserve(id);
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
            anchors.unique_heading(&text, "section")
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

/// True when the path of a site-relative `url` goes above the folder it starts in (the
/// site's root): `../index.html`, `a/../../b.html`.
fn climbs_out(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let mut depth = 0i32;
    for segment in path.split('/') {
        match segment {
            ".." => depth -= 1,
            "" | "." => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
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
    fn non_ascii_headings_keep_their_letters() {
        let page = render("## Детали\n\n## Обзор\n\n## Детали\n\n[к деталям](#детали)\n", "../");
        assert!(page.html.contains(r#"<h2 id="детали">"#), "{}", page.html);
        assert!(page.html.contains(r#"<h2 id="обзор">"#), "{}", page.html);
        assert!(page.html.contains(r#"<h2 id="детали-2">"#), "{}", page.html);
        // The hand-written link, percent-encoded, leads to the first heading's id.
        assert!(page.html.contains(r##"href="#%D0%B4%D0%B5%D1%82%D0%B0%D0%BB%D0%B8""##), "{}", page.html);
    }

    #[test]
    fn links_climbing_above_the_root_are_named() {
        let text =
            "[up](../index.html) [ok](a/../b.html) [deep](a/../../x.png?q#f) ![i](../i.png) [web](https://x/../y)";
        let page = render(text, "../");
        assert_eq!(page.outside, ["../index.html", "a/../../x.png?q#f", "../i.png"]);
        assert!(page.html.contains(r#"href="../../index.html""#), "still rewritten as written");
        assert!(render("[a](charts/index.html) [b](./x/../y.html)", "").outside.is_empty());
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
