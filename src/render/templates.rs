//! The page templates: built-ins embedded in the binary, replaced file by file by a
//! project's `--templates DIR`.
//!
//! A file in DIR with a built-in's name (`base.html`, `chart_set.html`, ...) replaces it,
//! and any other file becomes a template the others may include or extend, so a project
//! restyles its dashboard by copying one template and editing it. Templates are parsed
//! once per build and rendered from many threads. Autoescaping is on for `.html`, `.htm`,
//! `.xml` and `.svg`, with an escape function that leaves `/` alone (tera's default writes
//! `&#x2F;` into every relative link).

use std::collections::BTreeMap;
use std::path::Path;

use tera::Tera;

use super::RenderError;

/// The built-in templates, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("chart_browser.html", include_str!("../../templates/chart_browser.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("chart_set.html", include_str!("../../templates/chart_set.html")),
    ("chart_sets.html", include_str!("../../templates/chart_sets.html")),
    ("data.html", include_str!("../../templates/data.html")),
    ("config.html", include_str!("../../templates/config.html")),
    ("page.html", include_str!("../../templates/page.html")),
    ("404.html", include_str!("../../templates/404.html")),
    ("trend.html", include_str!("../../templates/trend.html")),
    ("trends.html", include_str!("../../templates/trends.html")),
    ("participation.html", include_str!("../../templates/participation.html")),
    ("stacks.html", include_str!("../../templates/stacks.html")),
];

/// File name endings read from `--templates DIR`.
const TEMPLATE_ENDINGS: [&str; 4] = [".html", ".htm", ".xml", ".svg"];

/// The built-in templates with the files of `user_dir` in their place.
/// What the page memo needs to know of the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// A hash of every template's name and text.
    pub hash: u64,
    /// Whether a template other than the home page's mentions `newest_day`.
    pub newest_day_on_pages: bool,
}

/// The templates, and what the page memo needs to know of them.
pub fn load(user_dir: Option<&Path>) -> Result<(Tera, Loaded), RenderError> {
    let mut sources: BTreeMap<String, String> =
        BUILTIN.iter().map(|&(name, text)| (name.to_string(), text.to_string())).collect();
    if let Some(dir) = user_dir {
        sources.extend(read_dir(dir)?);
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".htm", ".xml", ".svg"]);
    tera.set_escape_fn(escape);
    tera.add_raw_templates(sources.iter()).map_err(template_error)?;
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    // Pages other than the home page are reused when their inputs are unchanged; a
    // template that shows the newest day on them makes that day one of their inputs.
    let newest_day_on_pages = sources.iter().any(|(name, text)| name != "index.html" && may_show_newest_day(text));
    hash.update(&[u8::from(newest_day_on_pages)]);
    for (name, text) in &sources {
        hash.update(name.as_bytes());
        hash.update(&[0]);
        hash.update(text.as_bytes());
        hash.update(&[0]);
    }
    Ok((tera, Loaded { hash: hash.digest(), newest_day_on_pages }))
}

/// Whether a template may show `site.newest_day`: it names `newest_day`, or it reads the
/// whole `site` object (`site | json_encode()`, `for k, v in site`) or the whole context
/// (`__tera_context`) in a tag. A miss would let an incremental build keep pages that show
/// an old day, so anything but `site.FIELD` counts.
fn may_show_newest_day(text: &str) -> bool {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    tags(text).any(|tag| {
        tag.contains("newest_day")
            || tag.contains("__tera_context")
            || tag.match_indices("site").any(|(at, _)| {
                let (before, after) = (&tag[..at], &tag[at + "site".len()..]);
                let whole_word = !before.ends_with(is_name) && !before.ends_with('.') && !after.starts_with(is_name);
                whole_word && !after.trim_start().starts_with('.')
            })
    })
}

/// The insides of a template's `{{ ... }}` and `{% ... %}` tags.
fn tags(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let open = rest.find("{{").into_iter().chain(rest.find("{%")).min()?;
        let close = if rest[open..].starts_with("{{") { "}}" } else { "%}" };
        let inside = &rest[open + 2..];
        let end = inside.find(close).unwrap_or(inside.len());
        rest = &inside[(end + close.len()).min(inside.len())..];
        Some(&inside[..end])
    })
}

/// Every template file under `dir`, by its `/`-separated path from `dir`.
fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, RenderError> {
    let input_error = |path: &Path, reason: String| RenderError::Input { path: path.display().to_string(), reason };
    if !dir.is_dir() {
        return Err(input_error(dir, "the templates directory does not exist or is not a directory".into()));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| input_error(dir, e.to_string()))?;
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(dir) else { continue };
        let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if !crate::folders::is_theme_file(&entry) || !TEMPLATE_ENDINGS.iter().any(|end| name.ends_with(end)) {
            continue;
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| input_error(path, format!("cannot read the template: {e}")))?;
        files.push((name, text));
    }
    Ok(files)
}

/// Tera's escaping for every page: `&`, `<`, `>` and both quotes escaped, and control
/// characters replaced, as in SVG and the feed ([`super::xml::page_text`]: tab and
/// newline kept for multi-line text); `/` is left alone so relative links stay readable.
pub fn escape(text: &str) -> String {
    super::xml::page_text(text)
}

/// A tera error with its causes, one line: tera's own message names only the template.
pub fn template_error(error: tera::Error) -> RenderError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    RenderError::Template(one_line(&message))
}

/// A render error of `template`: [`template_error`], and, when tera says the error
/// happened in a parent template (by name, or not even that), that parent as a file
/// (`--templates` ones by their path) with the line mentioning a missing variable (tera
/// gives none); without a name, every parent, the one mentioning it first. So an error in
/// an overridden `base.html` is not blamed on a page template the maintainer never touched.
pub fn render_error(tera: &Tera, user_dir: Option<&Path>, template: &str, error: tera::Error) -> RenderError {
    let message = match template_error(error) {
        RenderError::Template(message) => message,
        other => return other,
    };
    let named = message.split("error happened in '").nth(1).and_then(|rest| rest.split('\'').next());
    let parents = match named {
        Some(name) => vec![name.to_string()],
        None if message.contains("error happened in a parent template") => {
            tera.get_template(template).map(|t| t.parents.clone()).unwrap_or_default()
        }
        None => Vec::new(),
    };
    if parents.is_empty() {
        return RenderError::Template(message);
    }
    let missing = message.split("Variable `").nth(1).and_then(|rest| rest.split('`').next());
    let mut places: Vec<(bool, String)> = parents.iter().map(|name| place(name, user_dir, missing)).collect();
    places.sort_by_key(|(found, _)| !found);
    let shown: Vec<&str> = places.iter().map(|(_, place)| place.as_str()).collect();
    RenderError::Template(format!("{message}; in the parent template {}", shown.join(" or ")))
}

/// The template `name` as a file, in backticks: `DIR/base.html:25` when it is an override
/// whose line 25 is the first to mention `needle`, `base.html (built in)` for a built-in;
/// and whether `needle` was found in it.
fn place(name: &str, user_dir: Option<&Path>, needle: Option<&str>) -> (bool, String) {
    let file = user_dir.map(|dir| dir.join(name)).filter(|path| path.is_file());
    let text = match &file {
        Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
        None => {
            BUILTIN.iter().find(|(builtin, _)| *builtin == name).map(|(_, text)| text.to_string()).unwrap_or_default()
        }
    };
    let line = needle.and_then(|needle| text.lines().position(|line| line.contains(needle)));
    let shown = file.map_or_else(|| format!("{name} (built in)"), |path| path.display().to_string());
    (line.is_some(), format!("`{shown}{}`", line.map(|i| format!(":{}", i + 1)).unwrap_or_default()))
}

/// A parse error's several lines (`--> 1:7`, the template's line with a caret under it,
/// `= expected ...`) as one: the place and the reason, without the drawing.
fn one_line(message: &str) -> String {
    let mut parts = Vec::new();
    for line in message.lines().map(str::trim) {
        if let Some(reason) = line.strip_prefix("= ") {
            parts.push(reason.to_string());
        } else if !line.is_empty() && !line.starts_with('|') && !line.contains(" | ") {
            parts.push(line.replace("-->", "line:column"));
        }
    }
    parts.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_error_is_one_line_with_its_place_and_reason() {
        let mut tera = tera::Tera::default();
        let error = tera.add_raw_template("base.html", "{% if %}").unwrap_err();
        let RenderError::Template(message) = template_error(error) else { panic!() };
        assert!(!message.contains('\n'), "{message}");
        assert!(message.starts_with("Failed to parse 'base.html'"), "{message}");
        assert!(message.contains("line:column 1:7") && message.contains("expected"), "{message}");
    }

    #[test]
    fn every_fixed_id_of_the_templates_is_kept_from_programs_and_headings() {
        let mut ids = 0;
        for (name, text) in BUILTIN {
            for id in text.split("id=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
                if !id.contains("{{") {
                    ids += 1;
                    let mut anchors = super::super::paths::Anchors::default();
                    assert_ne!(anchors.unique(id, "x"), id, "{name}: id `{id}` can be handed out again");
                }
            }
        }
        assert!(ids >= 4);
    }

    #[test]
    fn builtins_parse() {
        let (tera, _) = load(None).unwrap();
        for (name, _) in BUILTIN {
            assert!(tera.get_template_names().any(|n| n == *name), "{name}");
        }
    }

    #[test]
    fn a_user_file_replaces_its_builtin_and_adds_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("404.html"), "gone: {{ site.title }}").unwrap();
        std::fs::create_dir(dir.path().join("parts")).unwrap();
        std::fs::write(dir.path().join("parts/extra.html"), "extra {{ x }}").unwrap();
        std::fs::write(dir.path().join("README.md"), "not a template {{").unwrap();
        let (tera, hash) = load(Some(dir.path())).unwrap();
        assert_ne!(hash, load(None).unwrap().1, "an override changes the templates hash");
        assert!(
            !load(None).unwrap().1.newest_day_on_pages,
            "the built-in pages show the newest day on the home page only"
        );
        let mut context = tera::Context::new();
        context.insert("site", &serde_json::json!({"title": "<T>"}));
        context.insert("x", "a/b&c");
        assert_eq!(tera.render("404.html", &context).unwrap(), "gone: &lt;T&gt;");
        assert_eq!(tera.render("parts/extra.html", &context).unwrap(), "extra a/b&amp;c");
    }

    #[test]
    fn a_template_that_reads_the_whole_site_object_may_show_the_newest_day() {
        for text in [
            "{{ site.newest_day }}",
            "{{site[\"newest_day\"]}}",
            "<!-- {{ __tera_context }} -->",
            "{{ site | json_encode() }}",
            "{% for key, value in site %}{{ value }}{% endfor %}",
            "{% set s = site %}{{ s.title }}",
            "{{ site . newest_day }}",
        ] {
            assert!(may_show_newest_day(text), "{text}");
        }
        for text in [
            "the site is <a class=\"site-title\">{{ site.title }}</a>",
            "{{ site.nav | length }} {% if site.feed %}{{ website }}{{ my_site }}{{ x.site }}{% endif %}",
            "{{ site_title }} no tags: site | newest",
        ] {
            assert!(!may_show_newest_day(text), "{text}");
        }
        // An unclosed tag is read to the end of the text, as a whole-object use.
        assert!(may_show_newest_day("{{ site"));
    }

    #[test]
    fn a_broken_template_names_itself_and_its_cause() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.html"), "{% block content %}").unwrap();
        let message = load(Some(dir.path())).unwrap_err().to_string();
        assert!(message.contains("base.html"), "{message}");
    }

    #[test]
    fn an_error_in_an_overridden_parent_names_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let base = include_str!("../../templates/base.html");
        let mut lines: Vec<&str> = base.lines().collect();
        lines.insert(2, "{{ nosuch_var }}");
        std::fs::write(dir.path().join("base.html"), lines.join("\n")).unwrap();
        let (tera, _) = load(Some(dir.path())).unwrap();
        let error = tera.render("page.html", &tera::Context::new()).unwrap_err();
        let message = render_error(&tera, Some(dir.path()), "page.html", error).to_string();
        let file = dir.path().join("base.html").display().to_string();
        assert!(message.contains("Variable `nosuch_var` not found"), "{message}");
        assert!(message.ends_with(&format!("; in the parent template `{file}:3`")), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn svg_templates_are_escaped_too() {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".htm", ".xml", ".svg"]);
        tera.add_raw_template("x.svg", "<text>{{ name }}</text>").unwrap();
        let mut context = tera::Context::new();
        context.insert("name", "<script>\"");
        assert_eq!(tera.render("x.svg", &context).unwrap(), "<text>&lt;script&gt;&quot;</text>");
    }
}
