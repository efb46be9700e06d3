//! Parsing newtypes for the values a request carries. Each can only be built valid, by
//! `FromStr` (the CLI, through clap) or by serde (JSON and forms), and both ways share one check,
//! so the edges cannot disagree about what is a valid age or dose.

use std::ffi::OsStr;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use painrx_engine::words::Vocabulary;
use serde::{Deserialize, Deserializer, Serialize};

/// The command-line parser of a closed vocabulary: a word is read by the type's own `FromStr`
/// (the spellings and the message JSON and forms get too), and `--help` lists every word of
/// [`Vocabulary::ALL`] as clap's possible values.
#[derive(Clone, Copy, Debug)]
pub struct Words<T>(PhantomData<fn() -> T>);

/// `#[arg(value_parser = words::<Sex>())]`.
pub fn words<T>() -> Words<T> {
    Words(PhantomData)
}

impl<T> TypedValueParser for Words<T>
where
    T: Vocabulary + Clone + Send + Sync,
    <T as FromStr>::Err: std::error::Error + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        StringValueParser::new()
            .try_map(|text| text.parse::<T>())
            .parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            T::ALL.iter().map(|w| PossibleValue::new(w.to_string())),
        ))
    }
}

/// A value that failed its own check: the sentence for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

macro_rules! bounded_number {
    ($(#[$meta:meta])* $name:ident, $low:expr, $high:expr, $message:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(f64);

        impl $name {
            /// The lowest and highest values accepted.
            pub const RANGE: (f64, f64) = ($low, $high);

            pub fn new(value: f64) -> Result<$name, ValueError> {
                if value.is_finite() && ($low..=$high).contains(&value) {
                    Ok($name(value))
                } else {
                    Err(ValueError(format!($message, value)))
                }
            }

            pub fn get(self) -> f64 {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(text: &str) -> Result<$name, ValueError> {
                let number: f64 = text.trim().parse().map_err(|_| {
                    ValueError(format!($message, text.trim()))
                })?;
                $name::new(number)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let value = d.deserialize_any(NumberVisitor)?;
                $name::new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

bounded_number!(
    /// A patient's age in years, 0–120.
    Age,
    0.0,
    painrx_engine::screen::MAX_AGE_YEARS,
    "age `{}` is impossible: give an age from 0 to 120 years"
);

bounded_number!(
    /// Creatinine clearance in mL/min, 0–250 (the label tables' whole span).
    CrCl,
    0.0,
    painrx_engine::range::MAX_CRCL_ML_MIN,
    "creatinine clearance `{}` mL/min is impossible: give a value from 0 to 250"
);

bounded_number!(
    /// A daily amount in mg given as a target (above 0, at most 100 g).
    Mg,
    f64::MIN_POSITIVE,
    100_000.0,
    "`{}` mg is impossible: give a dose above 0 and at most 100000 mg"
);

bounded_number!(
    /// Body weight in kg (above 0, at most 400).
    WeightKg,
    f64::MIN_POSITIVE,
    400.0,
    "weight `{}` kg is impossible: give a weight above 0 and at most 400 kg"
);

/// A number from JSON (`45`) or from a form field (`"45"`): both edges mean the same value.
struct NumberVisitor;

impl serde::de::Visitor<'_> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<f64, E> {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| E::custom(format!("`{v}` is not a number")))
    }
}

bounded_number!(
    /// Any finite number; the operation that uses it checks its range (creatinine, height,
    /// months) with a message in its own terms.
    Number,
    f64::MIN,
    f64::MAX,
    "`{}` is not a number"
);

/// A whole number from JSON or a form field (a score, a count of days).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Whole(i64);

impl Whole {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for Whole {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Whole, ValueError> {
        text.trim()
            .parse()
            .map(Whole)
            .map_err(|_| ValueError(format!("`{}` is not a whole number", text.trim())))
    }
}

impl fmt::Display for Whole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Whole, D::Error> {
        let value = d.deserialize_any(NumberVisitor)?;
        if value.fract() == 0.0 && value.abs() < 1e15 {
            Ok(Whole(value as i64))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{value}` is not a whole number"
            )))
        }
    }
}

/// A yes/no from JSON (`true`) or a form (`"true"`, `"on"` from a checkbox).
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct FlagVisitor;
    impl serde::de::Visitor<'_> for FlagVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true or false")
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim().to_ascii_lowercase().as_str() {
                "true" | "on" | "yes" | "1" => Ok(true),
                "false" | "off" | "no" | "0" => Ok(false),
                other => Err(E::custom(format!("`{other}` is not true or false"))),
            }
        }
    }
    d.deserialize_any(FlagVisitor)
}

/// serde through `FromStr`: closed vocabularies read the same words in JSON as on the command
/// line (`"sex": "F"` as `--sex F`), with the same message when a word is unknown.
pub fn from_str<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// [`from_str`] for an optional field.
pub fn opt_from_str<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A medication line, a drug name or a condition name as typed: at most this many characters
/// before any work is done on it (the same bound name resolution keeps).
pub const MAX_NAME_CHARS: usize = painrx_kb::names::MAX_NAME_CHARS;

/// A name as typed (a drug, a medication line, a condition): not blank, at most
/// [`MAX_NAME_CHARS`] characters. What it names is found by resolution, not here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn new(text: &str) -> Result<Name, ValueError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ValueError("a name is empty".into()));
        }
        if trimmed.chars().count() > MAX_NAME_CHARS {
            return Err(ValueError(format!(
                "a name of {} characters is too long: at most {MAX_NAME_CHARS}",
                trimmed.chars().count()
            )));
        }
        Ok(Name(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Name {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Name, ValueError> {
        Name::new(text)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        let text = String::deserialize(d)?;
        Name::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_outside_0_to_120_cannot_be_built() {
        assert!(Age::new(300.0).is_err());
        assert!(Age::new(-1.0).is_err());
        assert!(Age::new(f64::NAN).is_err());
        assert_eq!(Age::new(120.0).map(Age::get), Ok(120.0));
        assert!("abc".parse::<Age>().is_err());
        assert!(serde_json::from_str::<Age>("300").is_err());
        assert_eq!(
            "300".parse::<Age>().unwrap_err().to_string(),
            serde_json::from_str::<Age>("300")
                .unwrap_err()
                .to_string()
                .split(" at line")
                .next()
                .unwrap()
        );
    }

    #[test]
    fn names_are_bounded_and_not_blank() {
        assert!(Name::new("  ").is_err());
        assert!(Name::new(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert_eq!(Name::new(" Lyrica ").unwrap().as_str(), "Lyrica");
    }
}
