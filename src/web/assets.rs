//! The stylesheet, script and icon, compiled into the binary: a copied `pulse` needs no files
//! beside it. Pages link each under a name carrying a digest of its content
//! (`/static/app.3f9a…css`), so browsers and proxies may keep it for a year without asking
//! again; a new release has new names.
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::web::error::WebError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// `app.<digest>.css`: the name pages link.
    hashed_name: String,
}

/// A year: the longest lifetime caches honour (RFC 9111 recommends no more).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// An unversioned or outdated name (a page of the previous release during a rolling upgrade):
/// the current content, checked again before each reuse.
const REVALIDATE: &str = "public, no-cache";

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        (
            "app.css",
            "text/css; charset=utf-8",
            &include_bytes!("../../static/app.css")[..],
        ),
        (
            "app.js",
            "text/javascript; charset=utf-8",
            &include_bytes!("../../static/app.js")[..],
        ),
        (
            "favicon.svg",
            "image/svg+xml",
            &include_bytes!("../../static/favicon.svg")[..],
        ),
    ]
    .into_iter()
    .map(|(name, content_type, bytes)| {
        let digest = hex::encode(&Sha256::digest(bytes)[..8]);
        let (stem, extension) = name.rsplit_once('.').expect("a name with an extension");
        Asset {
            name,
            content_type,
            bytes,
            hashed_name: format!("{stem}.{digest}.{extension}"),
        }
    })
    .collect()
});

/// The URL pages link `name` (e.g. `app.css`) by: its versioned name under `/static/`.
pub fn url(name: &str) -> String {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.name == name)
        .unwrap_or_else(|| panic!("no static file {name}"));
    format!("/static/{}", asset.hashed_name)
}

/// Which asset a requested name is, and whether it is the current version of it: `app.css`,
/// `app.<digest>.css` of this release, or of another one (served the current content).
fn lookup(requested: &str) -> Option<(&'static Asset, bool)> {
    ASSETS.iter().find_map(|asset| {
        if requested == asset.hashed_name {
            return Some((asset, true));
        }
        let (stem, extension) = asset.name.rsplit_once('.')?;
        let versioned = requested
            .strip_prefix(stem)
            .and_then(|rest| rest.strip_suffix(extension))
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|rest| rest.strip_suffix('.'))
            .is_some_and(|digest| {
                digest.len() == 16 && digest.bytes().all(|b| b.is_ascii_hexdigit())
            });
        (requested == asset.name || versioned).then_some((asset, false))
    })
}

/// `GET /static/{name}` (and HEAD).
pub async fn serve(name: web::Path<String>) -> Result<HttpResponse, WebError> {
    let (asset, current) = lookup(&name).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((
            header::CACHE_CONTROL,
            if current { IMMUTABLE } else { REVALIDATE },
        ))
        .insert_header((header::ETAG, format!("\"{}\"", asset.hashed_name)))
        .body(asset.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_names_carry_the_content_digest() {
        let css = url("app.css");
        assert!(
            css.starts_with("/static/app.") && css.ends_with(".css"),
            "{css}"
        );
        let name = css.trim_start_matches("/static/");
        assert!(matches!(lookup(name), Some((asset, true)) if asset.name == "app.css"));
        assert!(matches!(lookup("app.css"), Some((_, false))));
        assert!(matches!(
            lookup("app.0123456789abcdef.css"),
            Some((_, false))
        ));
        for unknown in [
            "app.xyz.css",
            "other.css",
            "app.0123456789abcdef.js.css",
            "",
        ] {
            assert!(lookup(unknown).is_none(), "{unknown}");
        }
    }
}
