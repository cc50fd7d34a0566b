//! The time zone a person reads times in: an IANA name (`Europe/Paris`), chosen on `/account`.
//! Pages write every time in UTC, saying so, and their script shows it in this zone (the
//! browser's own when none is chosen), always with the zone's name.
use chrono_tz::{TZ_VARIANTS, Tz};

use crate::db::DbConn;
use crate::error::AppError;
use crate::repo::users;

/// Every zone a person may choose, by name: the IANA zones of a region (`Region/City`), and UTC.
pub fn choices() -> impl Iterator<Item = &'static str> {
    std::iter::once("UTC").chain(
        TZ_VARIANTS
            .iter()
            .map(|zone| zone.name())
            .filter(|name| name.contains('/') && !name.starts_with("Etc/")),
    )
}

/// A zone's name as it was chosen, checked; empty means "the browser's own zone" (`None`).
pub fn parse(raw: &str) -> Result<Option<String>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<Tz>() {
        Ok(zone) => Ok(Some(zone.name().to_owned())),
        Err(_) => Err(AppError::invalid(format!(
            "{raw:?} is not a time zone Pulse knows: choose one from the list, e.g. Europe/Paris."
        ))),
    }
}

/// Saves the zone `raw` (see `parse`) as `user_id`'s; a wrong name changes nothing.
pub fn set(conn: &mut DbConn, user_id: i32, raw: &str) -> Result<(), AppError> {
    let zone = parse(raw)?;
    users::set_time_zone(conn, user_id, zone.as_deref())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_iana_names_or_none() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(
            parse(" Europe/Paris ").unwrap().as_deref(),
            Some("Europe/Paris")
        );
        assert_eq!(parse("UTC").unwrap().as_deref(), Some("UTC"));
        assert!(parse("Mars/Olympus").is_err());
        assert!(choices().any(|zone| zone == "America/New_York"));
        assert!(choices().all(|zone| parse(zone).is_ok()));
    }
}
