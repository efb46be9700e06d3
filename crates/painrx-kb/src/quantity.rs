//! Numbers that can only be built valid: a negative dose or a fraction above one is refused
//! while the YAML is read, so the error carries the file and line of the bad number.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize};

/// An amount that is finite and not negative (doses in mg, CrCl in mL/min, days).
#[derive(Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Amount(f64);

impl Amount {
    /// Build an amount; `None` for negative, NaN or infinite input.
    pub fn new(value: f64) -> Option<Self> {
        (value.is_finite() && value >= 0.0).then_some(Amount(value))
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_number(self.0))
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Amount::new(value).ok_or_else(|| {
            de::Error::custom(format!(
                "impossible number `{value}`: doses, strengths and clearances must be zero or more"
            ))
        })
    }
}

/// A fraction between 0 and 1 inclusive (bioavailability, protein binding).
#[derive(Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Fraction(f64);

impl Fraction {
    pub fn new(value: f64) -> Option<Self> {
        (value.is_finite() && (0.0..=1.0).contains(&value)).then_some(Fraction(value))
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Debug for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Fraction::new(value).ok_or_else(|| {
            de::Error::custom(format!(
                "impossible fraction `{value}`: write fractions between 0 and 1 (0.9, not 90)"
            ))
        })
    }
}

/// Print a number without a trailing `.0` (150, 82.5, 0.15).
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_refuses_negative_and_nan() {
        assert!(Amount::new(-0.5).is_none());
        assert!(Amount::new(f64::NAN).is_none());
        assert_eq!(Amount::new(82.5).map(Amount::get), Some(82.5));
    }

    #[test]
    fn fraction_refuses_percentages() {
        assert!(Fraction::new(90.0).is_none());
        assert!(Fraction::new(0.9).is_some());
    }

    #[test]
    fn numbers_print_without_trailing_zeros() {
        assert_eq!(format_number(150.0), "150");
        assert_eq!(format_number(82.5), "82.5");
        assert_eq!(format_number(0.15), "0.15");
    }
}
