//! The words of the engine's closed vocabularies, read (`FromStr`) and written (`Display`) the
//! same way on every edge: `--sex F` on the command line, `"sex": "F"` in JSON, a form field.

use std::fmt;
use std::str::FromStr;

use crate::assess::Criteria;
use crate::renal::{CreatinineUnit, Sex, WeightBasis};
use crate::screen::RuleSet;

/// A closed vocabulary: every word there is, each written by `Display` and read back by
/// `FromStr` (which may also take other spellings: `F`, `µmol/L`, `2011`). The command line lists
/// these words in `--help` (`painrx_app::values::words`).
pub trait Vocabulary: Sized + Copy + fmt::Display + FromStr + 'static {
    /// Every word, in the order help lists them.
    const ALL: &'static [Self];
}

impl Vocabulary for Sex {
    const ALL: &'static [Sex] = &[Sex::Female, Sex::Male];
}

impl Vocabulary for CreatinineUnit {
    const ALL: &'static [CreatinineUnit] = &[CreatinineUnit::MgPerDl, CreatinineUnit::UmolPerL];
}

impl Vocabulary for WeightBasis {
    const ALL: &'static [WeightBasis] = &[
        WeightBasis::Actual,
        WeightBasis::Ideal,
        WeightBasis::Adjusted,
    ];
}

impl Vocabulary for Criteria {
    const ALL: &'static [Criteria] = &[Criteria::Acr2016, Criteria::Acr2010];
}

impl Vocabulary for RuleSet {
    const ALL: &'static [RuleSet] = &[RuleSet::Painrx, RuleSet::Ansm, RuleSet::All];
}

/// A word outside one of the engine's vocabularies; the message lists the words there are.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{word}`: use {allowed}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub word: String,
    pub allowed: &'static str,
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::Female => "female",
            Sex::Male => "male",
        })
    }
}

impl fmt::Display for CreatinineUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CreatinineUnit::MgPerDl => "mg/dL",
            CreatinineUnit::UmolPerL => "umol/L",
        })
    }
}

impl Default for CreatinineUnit {
    /// US labels and most requests give creatinine in mg/dL.
    fn default() -> CreatinineUnit {
        CreatinineUnit::MgPerDl
    }
}

impl fmt::Display for WeightBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WeightBasis::Actual => "actual",
            WeightBasis::Ideal => "ideal",
            WeightBasis::Adjusted => "adjusted",
        })
    }
}

impl Default for WeightBasis {
    /// Cockcroft and Gault derived the equation with actual body weight.
    fn default() -> WeightBasis {
        WeightBasis::Actual
    }
}

impl FromStr for Criteria {
    type Err = UnknownWord;
    fn from_str(text: &str) -> Result<Criteria, UnknownWord> {
        match text.trim() {
            "2016" => Ok(Criteria::Acr2016),
            "2010" | "2011" => Ok(Criteria::Acr2010),
            other => Err(UnknownWord {
                what: "criteria",
                word: other.to_string(),
                allowed: "2016 or 2010",
            }),
        }
    }
}

impl fmt::Display for Criteria {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Criteria::Acr2016 => "2016",
            Criteria::Acr2010 => "2010",
        })
    }
}

#[expect(
    clippy::derivable_impls,
    reason = "the defaults of the vocabularies live together in this file"
)]
impl Default for Criteria {
    fn default() -> Criteria {
        Criteria::Acr2016
    }
}

impl FromStr for RuleSet {
    type Err = UnknownWord;
    fn from_str(text: &str) -> Result<RuleSet, UnknownWord> {
        match text.trim().to_ascii_lowercase().as_str() {
            "painrx" => Ok(RuleSet::Painrx),
            "ansm" => Ok(RuleSet::Ansm),
            "all" => Ok(RuleSet::All),
            _ => Err(UnknownWord {
                what: "rule source",
                word: text.trim().to_string(),
                allowed: "painrx, ansm or all",
            }),
        }
    }
}

impl fmt::Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleSet::Painrx => "painrx",
            RuleSet::Ansm => "ansm",
            RuleSet::All => "all",
        })
    }
}

impl Default for RuleSet {
    /// Both sources: painrx's curated rules and the ANSM thesaurus compiled in.
    fn default() -> RuleSet {
        RuleSet::All
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word a vocabulary lists reads back as itself, and no two words are one value.
    fn lists_its_words<T: Vocabulary + PartialEq + fmt::Debug>() {
        for (i, w) in T::ALL.iter().enumerate() {
            let read = w.to_string().parse::<T>().ok();
            assert_eq!(read.as_ref(), Some(w), "`{w}` does not read back");
            assert!(
                !T::ALL.iter().skip(i + 1).any(|other| other == w),
                "{w:?} twice"
            );
        }
    }

    #[test]
    fn every_listed_word_reads_back() {
        lists_its_words::<Sex>();
        lists_its_words::<CreatinineUnit>();
        lists_its_words::<WeightBasis>();
        lists_its_words::<Criteria>();
        lists_its_words::<RuleSet>();
    }
}
