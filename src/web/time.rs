use chrono::NaiveDateTime;

/// A time as `<time>` wants it (UTC, machine-readable) and as people read it in UTC; the page's
/// script shows it in the viewer's own time zone.
pub struct TimeView {
    pub iso: String,
    pub utc: String,
}

impl From<NaiveDateTime> for TimeView {
    fn from(at: NaiveDateTime) -> Self {
        TimeView {
            iso: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            utc: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        }
    }
}
