use crate::error::AppError;

/// An organisation's URL name: 2–40 lower-case letters, digits and inner hyphens.
pub fn parse_slug(raw: &str) -> Result<String, AppError> {
    let slug = raw.trim();
    let valid_chars = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if (2..=40).contains(&slug.len())
        && valid_chars
        && !slug.starts_with('-')
        && !slug.ends_with('-')
    {
        Ok(slug.to_owned())
    } else {
        Err(AppError::invalid(
            "The slug must be 2–40 lower-case letters, digits or hyphens, not starting or ending with a hyphen.",
        ))
    }
}

/// A display name: trimmed, 1–100 characters.
pub fn parse_name(raw: &str, what: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(format!(
            "The {what} must be 1–100 characters."
        )));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_url_safe_slugs_only() {
        assert_eq!(parse_slug(" acme-co ").unwrap(), "acme-co");
        for bad in ["", "a", "Acme", "-acme", "acme-", "ac me", "acmé"] {
            assert!(parse_slug(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
