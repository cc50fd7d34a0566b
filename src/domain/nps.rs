//! Net Promoter Score arithmetic.
//!
//! Scores 9–10 are promoters, 7–8 passives, 0–6 detractors. NPS = % promoters − % detractors,
//! a number from −100 to 100. It is reported to one decimal place, rounded half away from zero
//! (so 12.25 → 12.3 and −12.25 → −12.3), computed in integers so no float error can tip a tie.
//! With no responses there is no score: `None`, rendered as JSON `null` and an empty CSV cell.
use serde::Serialize;

use crate::repo::scores::Tally;

/// A response's category: `promoter` (9–10), `passive` (7–8) or `detractor` (0–6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Promoter,
    Passive,
    Detractor,
}

impl Category {
    /// The category of a valid score (0–10); callers validate the range first.
    pub fn of(score: i32) -> Self {
        match score {
            9.. => Self::Promoter,
            7..=8 => Self::Passive,
            _ => Self::Detractor,
        }
    }
}

/// How many responses fell in each category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    #[schema(minimum = 0)]
    pub responses: i64,
    #[schema(minimum = 0)]
    pub promoters: i64,
    #[schema(minimum = 0)]
    pub passives: i64,
    #[schema(minimum = 0)]
    pub detractors: i64,
}

impl Counts {
    pub fn from_categories((promoters, passives, detractors): Tally) -> Self {
        Self {
            responses: promoters + passives + detractors,
            promoters,
            passives,
            detractors,
        }
    }

    pub fn add(&mut self, score: i32) {
        self.responses += 1;
        match Category::of(score) {
            Category::Promoter => self.promoters += 1,
            Category::Passive => self.passives += 1,
            Category::Detractor => self.detractors += 1,
        }
    }

    /// `responses_x` / responses in tenths of a percent, rounded half away from zero, or `None`
    /// without responses. 100 % × 10 tenths = 1000: round |x| half up, then restore the sign.
    fn tenths_of_percent(&self, responses_x: i64) -> Option<i64> {
        let numerator = 1000 * responses_x;
        (self.responses > 0).then(|| {
            numerator.signum() * ((2 * numerator.abs() + self.responses) / (2 * self.responses))
        })
    }

    /// The share of `part` of the responses in percent (0 to 100) to one decimal place, rounded
    /// like the NPS, or `None` without responses.
    pub fn percent(&self, part: i64) -> Option<f64> {
        one_decimal(self.tenths_of_percent(part))
    }

    /// NPS in tenths of a point (−1000..=1000), or `None` without responses.
    pub fn nps_tenths(&self) -> Option<i64> {
        self.tenths_of_percent(self.promoters - self.detractors)
    }

    /// NPS rounded to one decimal place, or `None` without responses.
    pub fn nps(&self) -> Option<f64> {
        one_decimal(self.nps_tenths())
    }
}

fn one_decimal(tenths: Option<i64>) -> Option<f64> {
    tenths.map(|tenths| tenths as f64 / 10.0)
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.responses += other.responses;
        self.promoters += other.promoters;
        self.passives += other.passives;
        self.detractors += other.detractors;
    }
}

impl std::iter::Sum for Counts {
    fn sum<I: Iterator<Item = Self>>(parts: I) -> Self {
        parts.fold(Self::default(), |mut total, part| {
            total += part;
            total
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_the_published_bands() {
        let cats: Vec<Category> = (0..=10).map(Category::of).collect();
        assert!(cats[..7].iter().all(|c| *c == Category::Detractor));
        assert_eq!(&cats[7..9], &[Category::Passive, Category::Passive]);
        assert_eq!(&cats[9..], &[Category::Promoter, Category::Promoter]);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        // 1 promoter of 8 = 12.5 % exactly → 12.5; 1 of 16 = 6.25 → 6.3; −6.25 → −6.3.
        assert_eq!(Counts::from_categories((1, 7, 0)).nps(), Some(12.5));
        assert_eq!(Counts::from_categories((1, 15, 0)).nps(), Some(6.3));
        assert_eq!(Counts::from_categories((0, 15, 1)).nps(), Some(-6.3));
        // 1 of 3 = 33.333… → 33.3; 2 of 3 = 66.666… → 66.7.
        assert_eq!(Counts::from_categories((1, 2, 0)).nps(), Some(33.3));
        assert_eq!(Counts::from_categories((2, 1, 0)).nps(), Some(66.7));
    }

    #[test]
    fn shares_round_half_up_to_one_decimal() {
        // 1 of 16 = 6.25 % → 62.5 tenths → 63; 2 of 3 = 66.66… % → 667.
        assert_eq!(Counts::from_categories((1, 15, 0)).percent(1), Some(6.3));
        assert_eq!(Counts::from_categories((2, 1, 0)).percent(2), Some(66.7));
        assert_eq!(Counts::default().percent(0), None);
    }

    #[test]
    fn extremes_and_empty() {
        assert_eq!(Counts::default().nps(), None);
        assert_eq!(Counts::from_categories((5, 0, 0)).nps(), Some(100.0));
        assert_eq!(Counts::from_categories((0, 0, 5)).nps(), Some(-100.0));
        assert_eq!(Counts::from_categories((0, 4, 0)).nps(), Some(0.0));
    }
}
