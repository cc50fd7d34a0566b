//! What the Analytics page draws: twelve months, each with its counts, its NPS on a −100…100
//! axis and its category shares on a 0–100 % axis, as SVG coordinates (no script, no inline
//! style: CSP forbids both).
use chrono::{Datelike, Months, NaiveDate};

use crate::domain::nps::Counts;

pub const WIDTH: f64 = 640.0;
pub const TOP: f64 = 20.0;
pub const HEIGHT: f64 = 200.0;
pub const LEFT: f64 = 56.0;

/// One month: its names, counts, shares, and where the charts draw it.
pub struct MonthView {
    /// `2026-03`, as the API's `period`.
    pub period: String,
    /// `March 2026`.
    pub name: String,
    /// `Mar`, and the year under the first month and every January.
    pub short: String,
    pub year: Option<i32>,
    pub counts: Counts,
    /// NPS as the API writes it (`-19.3`), for the CSV download.
    pub nps: Option<String>,
    /// NPS as people read it, with a true minus sign (`−19.3`), beside the axis's labels.
    pub nps_shown: Option<String>,
    /// The month's responses with thousands separators (`12,345`).
    pub responses: String,
    /// The current month: not over yet, so its numbers are so far.
    pub partial: bool,
    /// Percent of responses: promoters, passives, detractors (one decimal), if any.
    pub shares: Option<[String; 3]>,
    /// The table's promoter, passive and detractor cells: count (with thousands separators) and
    /// share (empty without any).
    pub cells: [(String, String); 3],
    pub x: String,
    /// The NPS point's y on the NPS chart.
    pub y: Option<String>,
    /// The share chart's stacked segments, top to bottom: (y, height).
    pub bars: [(String, String); 3],
}

/// A gridline of a chart: its y and label.
pub struct Tick {
    pub y: String,
    pub label: String,
}

/// `12345` as `12,345`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if n < 0 { format!("−{out}") } else { out }
}

/// An NPS with one decimal and a true minus sign: `−19.3`.
pub fn signed(n: f64) -> String {
    let text = format!("{:.1}", n.abs());
    if n < 0.0 && text != "0.0" {
        format!("−{text}")
    } else {
        text
    }
}

fn percent(part: i64, whole: i64) -> f64 {
    part as f64 * 100.0 / whole as f64
}

/// The twelve months from `first`, with the counts the database gave per `YYYY-MM` period. The
/// last is the current month (the window ends with it), so it is marked partial.
pub fn months(rows: &[(String, Counts)], first: NaiveDate) -> Vec<MonthView> {
    let step = (WIDTH - LEFT) / 12.0;
    (0..12)
        .map(|i| {
            let month = first + Months::new(i);
            let period = month.format("%Y-%m").to_string();
            let counts = rows
                .iter()
                .find(|(p, _)| *p == period)
                .map(|(_, c)| *c)
                .unwrap_or_default();
            let x = LEFT + step * (f64::from(i) + 0.5);
            let categories = [counts.promoters, counts.passives, counts.detractors];
            let mut top = TOP;
            let bars = categories.map(|n| {
                let h = if counts.responses == 0 {
                    0.0
                } else {
                    percent(n, counts.responses) / 100.0 * HEIGHT
                };
                let segment = (format!("{top:.1}"), format!("{h:.1}"));
                top += h;
                segment
            });
            // Rounded as the API rounds them, since the page states the request that gives them.
            let shares = (counts.responses > 0).then(|| {
                categories.map(|n| format!("{:.1}", counts.percent(n).unwrap_or_default()))
            });
            let mut share_texts = shares.clone().unwrap_or_default().into_iter();
            MonthView {
                cells: categories.map(|n| (thousands(n), share_texts.next().unwrap_or_default())),
                responses: thousands(counts.responses),
                partial: i == 11,
                nps_shown: counts.nps().map(signed),
                name: month.format("%B %Y").to_string(),
                short: month.format("%b").to_string(),
                year: (i == 0 || month.month() == 1).then(|| month.year()),
                nps: counts.nps().map(|n| format!("{n:.1}")),
                shares,
                y: counts
                    .nps()
                    .map(|n| format!("{:.1}", TOP + (100.0 - n) / 200.0 * HEIGHT)),
                x: format!("{x:.1}"),
                period,
                counts,
                bars,
            }
        })
        .collect()
}

/// Gridlines from `top_value` down to `bottom_value` in `steps`, labelled with `suffix`.
pub fn ticks(top_value: i32, bottom_value: i32, steps: i32, suffix: &str) -> Vec<Tick> {
    (0..=steps)
        .map(|i| {
            let value = top_value - (top_value - bottom_value) * i / steps;
            let label = if value < 0 {
                format!("−{}", -value)
            } else {
                value.to_string()
            };
            Tick {
                y: format!("{:.1}", TOP + HEIGHT * f64::from(i) / f64::from(steps)),
                label: format!("{label}{suffix}"),
            }
        })
        .collect()
}

/// The NPS line through the months that have a score, as SVG `points`.
pub fn polyline(months: &[MonthView]) -> String {
    months
        .iter()
        .filter_map(|m| m.y.as_ref().map(|y| format!("{},{y}", m.x)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sentence for screen readers: where NPS started, ended, and its range.
pub fn describe(months: &[MonthView]) -> String {
    let scored: Vec<(&MonthView, f64)> = months
        .iter()
        .filter_map(|m| m.counts.nps().map(|n| (m, n)))
        .collect();
    let (Some(first), Some(last)) = (scored.first(), scored.last()) else {
        return "No responses in these twelve months.".into();
    };
    let by = |a: &&(&MonthView, f64), b: &&(&MonthView, f64)| a.1.total_cmp(&b.1);
    let (low, high) = (
        scored.iter().min_by(by).unwrap_or(first),
        scored.iter().max_by(by).unwrap_or(first),
    );
    format!(
        "NPS in {} of 12 months: {:.1} in {}, {:.1} in {}; lowest {:.1} in {}, highest {:.1} in {}.",
        scored.len(),
        first.1,
        first.0.name,
        last.1,
        last.0.name,
        low.1,
        low.0.name,
        high.1,
        high.0.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(signed(-19.26), "−19.3");
        assert_eq!(signed(-0.04), "0.0");
        assert_eq!(signed(33.33), "33.3");
    }

    #[test]
    fn shares_are_rounded_as_the_api_rounds_them() {
        // 1 in 16 is 6.25 %: the API says 6.3 (half away from zero), not the float's 6.2.
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let rows = [("2026-01".to_owned(), Counts::from_categories((1, 15, 0)))];
        let shares = months(&rows, first)[0].shares.clone().unwrap();
        assert_eq!(shares, ["6.3", "93.8", "0.0"].map(String::from));
    }
}
