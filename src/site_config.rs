//! `telemetry-site.toml`: the site's settings, kept with its data.
//!
//! An optional file at the top of DATA whose keys are named like the command-line flags
//! they stand for (`base_url` for `--base-url`). Flags override it. Unknown keys are an
//! error naming the key and its line, as mdBook and zola treat typos in their configs.
//! Paths in it are relative to DATA, so the file works wherever the command runs.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file name, at the top of DATA.
pub const FILE_NAME: &str = "telemetry-site.toml";

/// Every setting is optional; a missing one falls back to the flag, then the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// `--title`
    pub title: Option<String>,
    /// `--description`
    pub description: Option<String>,
    /// `--base-url`
    #[serde(default, deserialize_with = "base_url")]
    pub base_url: Option<String>,
    /// `--pages`, relative to DATA
    pub pages: Option<PathBuf>,
    /// `--templates`, relative to DATA
    pub templates: Option<PathBuf>,
    /// `--static`, relative to DATA
    #[serde(rename = "static")]
    pub static_dir: Option<PathBuf>,
    /// `--upload-config`, relative to DATA
    pub upload_config: Option<PathBuf>,
    /// `--chart-config`, relative to DATA
    pub chart_config: Option<PathBuf>,
    /// `--max-report-bytes`
    pub max_report_bytes: Option<usize>,
    /// `--max-file-bytes`
    pub max_file_bytes: Option<u64>,
    /// `--strict` (build)
    pub strict: Option<bool>,
    /// `--max-age` (check)
    pub max_age: Option<u32>,
    /// `--trend-min-uploaders`
    pub trend_min_uploaders: Option<u32>,
    /// `--raw-data` (`"json"` or `"gz"`)
    pub raw_data: Option<crate::raw_data::RawData>,
}

/// `text` as the site's base URL, with a final `/`, when it is an absolute `http(s)` URL
/// that links can be made from by appending a path: a host, no query or fragment, no
/// spaces, quotes, angle brackets or backslashes. Anything else (empty, `/REPO/`, `not a
/// url`, `javascript:...`) would publish a broken or hostile feed and 404 page.
pub fn parse_base_url(text: &str) -> Result<String, String> {
    let host_and_path = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
    let host = host_and_path.map(|rest| rest.split('/').next().unwrap_or(""));
    let unsafe_char = |c: char| c.is_whitespace() || c.is_control() || "\"'<>\\^`{|}?#".contains(c);
    match host {
        Some(host) if !host.is_empty() && !text.contains(unsafe_char) => {
            Ok(if text.ends_with('/') { text.to_string() } else { format!("{text}/") })
        }
        _ => Err(format!(
            "`{}` is not an absolute http(s) URL to publish the site at, such as `https://OWNER.github.io/REPO/`",
            text.escape_debug()
        )),
    }
}

fn base_url<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_base_url(&text).map(Some).map_err(serde::de::Error::custom)
}

/// A site config that cannot be read or has a mistake.
#[derive(Debug, thiserror::Error)]
#[error("`{path}`{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct SiteConfigError {
    pub path: String,
    /// 1-based line of the mistake, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl SiteConfig {
    /// Parses the text of a site config; errors carry the 1-based line.
    pub fn parse(text: &str) -> Result<SiteConfig, (Option<usize>, String)> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().replacen("unknown field", "unknown key", 1);
            (line, message)
        })
    }

    /// Reads `<DATA>/telemetry-site.toml` when there is one, with its paths made relative
    /// to the working directory.
    pub fn load(data: &Path) -> Result<SiteConfig, SiteConfigError> {
        let path = data.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SiteConfig::default()),
            Err(e) => {
                return Err(SiteConfigError { path: path.display().to_string(), line: None, message: e.to_string() })
            }
        };
        let mut config = SiteConfig::parse(&text).map_err(|(line, message)| SiteConfigError {
            path: path.display().to_string(),
            line,
            message,
        })?;
        for dir in [
            &mut config.pages,
            &mut config.templates,
            &mut config.static_dir,
            &mut config.upload_config,
            &mut config.chart_config,
        ]
        .into_iter()
        .flatten()
        {
            *dir = data.join(&*dir);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let text = "title = \"Go\"\ndescription = \"d\"\nbase_url = \"https://x.example/\"\npages = \"p\"\n\
                    templates = \"t\"\nstatic = \"s\"\nupload_config = \"u.json\"\nchart_config = \"c.txt\"\n\
                    max_report_bytes = 10\nmax_file_bytes = 20\nstrict = true\nmax_age = 3\n\
                    trend_min_uploaders = 5\nraw_data = \"gz\"\n";
        let config = SiteConfig::parse(text).unwrap();
        assert_eq!(config.title.as_deref(), Some("Go"));
        assert_eq!(config.static_dir, Some(PathBuf::from("s")));
        assert_eq!(config.max_file_bytes, Some(20));
        assert_eq!(config.max_age, Some(3));
        assert_eq!(config.trend_min_uploaders, Some(5));
        assert_eq!(config.raw_data, Some(crate::raw_data::RawData::Gz));
    }

    #[test]
    fn an_unknown_raw_data_format_names_line_and_the_formats() {
        let (line, message) = SiteConfig::parse("title = \"Go\"\nraw_data = \"zip\"\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(message.contains("`json`") && message.contains("`gz`"), "{message}");
    }

    #[test]
    fn a_base_url_is_an_absolute_http_url_and_gets_its_final_slash() {
        assert_eq!(parse_base_url("https://x.example/repo").as_deref(), Ok("https://x.example/repo/"));
        assert_eq!(parse_base_url("http://localhost:8000/").as_deref(), Ok("http://localhost:8000/"));
        assert_eq!(parse_base_url("https://x.example").as_deref(), Ok("https://x.example/"));
        for bad in [
            "",
            "/myproject/",
            "not a url",
            "javascript:alert(1)",
            "https://",
            "https:///x",
            "ftp://x/",
            "https://x.example/a b/",
            "https://x.example/\"/><script>",
            "https://x.example/?q=1",
            "https://x/#top",
        ] {
            let why = parse_base_url(bad).expect_err(bad);
            assert!(why.contains("is not an absolute http(s) URL"), "{why}");
        }
        let (line, message) = SiteConfig::parse("title = \"Go\"\nbase_url = \"/REPO/\"\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(message.contains("`/REPO/` is not an absolute http(s) URL"), "{message}");
        let config = SiteConfig::parse("base_url = \"https://x.example/r\"\n").unwrap();
        assert_eq!(config.base_url.as_deref(), Some("https://x.example/r/"));
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let (line, message) = SiteConfig::parse("title = \"Go\"\n\ntitel = \"typo\"\n").unwrap_err();
        assert_eq!(line, Some(3));
        assert!(message.contains("unknown key `titel`"), "{message}");
    }

    #[test]
    fn wrong_type_names_line() {
        let (line, message) = SiteConfig::parse("max_report_bytes = \"big\"\n").unwrap_err();
        assert_eq!(line, Some(1));
        assert!(message.contains("invalid type"), "{message}");
    }

    #[test]
    fn paths_are_relative_to_data() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "pages = \"site-pages\"\n").unwrap();
        let config = SiteConfig::load(dir.path()).unwrap();
        assert_eq!(config.pages, Some(dir.path().join("site-pages")));
        assert_eq!(SiteConfig::load(&dir.path().join("none")).unwrap(), SiteConfig::default());
    }
}
