//! Closed vocabularies of the content format. Each is an enum: an unknown word in content is a
//! load error that lists the allowed words.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every word of this vocabulary, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word as written in content and on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownWord;
            /// A word of the vocabulary, ignoring case, spaces, hyphens and underscores
            /// (`va-dod`, `vadod` and `VA-DoD` are one word).
            fn from_str(text: &str) -> Result<$name, UnknownWord> {
                let wanted = fold_word(text);
                $name::ALL
                    .iter()
                    .copied()
                    .find(|w| fold_word(w.as_str()) == wanted)
                    .ok_or_else(|| UnknownWord {
                        word: text.trim().to_string(),
                        allowed: $name::ALL.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

/// A word outside a closed vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown word `{word}`: use {allowed}")]
pub struct UnknownWord {
    pub word: String,
    pub allowed: String,
}

/// Case, spaces, hyphens and underscores do not tell two words of a vocabulary apart.
fn fold_word(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

vocabulary! {
    /// What a monograph describes.
    Kind {
        Drug => "drug",
        Combination => "combination",
        Class => "class",
        Condition => "condition",
        Procedure => "procedure",
    }
}

vocabulary! {
    /// How much a monograph covers.
    Depth { Full => "full", Short => "short" }
}

vocabulary! {
    /// Regulatory standing of a substance.
    SubstanceStatus {
        Approved => "approved",
        Unapproved => "unapproved",
        Substance => "substance",
    }
}

vocabulary! {
    /// Standing of an indication.
    LabelStatus { Approved => "approved", OffLabel => "off-label" }
}

vocabulary! {
    /// Who approved an indication.
    Regulator {
        Fda => "FDA",
        Ema => "EMA",
        Mhra => "MHRA",
        Ansm => "ANSM",
        HealthCanada => "Health Canada",
        Tga => "TGA",
        Pmda => "PMDA",
    }
}

vocabulary! {
    /// Dosing frequency.
    Frequency {
        Qd => "QD",
        Qhs => "QHS",
        Bid => "BID",
        Tid => "TID",
        Qid => "QID",
        Q4h => "Q4H",
        Q6h => "Q6H",
        Q8h => "Q8H",
        Q12h => "Q12H",
        Q72h => "Q72H",
        Qod => "QOD",
        Weekly => "WEEKLY",
        Q3months => "Q3MONTHS",
        Prn => "PRN",
        Continuous => "CONT",
        Once => "ONCE",
    }
}

impl Frequency {
    /// Doses given per day, where the frequency fixes it (PRN, continuous and single doses do not).
    pub fn doses_per_day(self) -> Option<f64> {
        match self {
            Frequency::Qd | Frequency::Qhs => Some(1.0),
            Frequency::Bid | Frequency::Q12h => Some(2.0),
            Frequency::Tid | Frequency::Q8h => Some(3.0),
            Frequency::Qid | Frequency::Q6h => Some(4.0),
            Frequency::Q4h => Some(6.0),
            Frequency::Q72h => Some(1.0 / 3.0),
            Frequency::Qod => Some(0.5),
            Frequency::Weekly => Some(1.0 / 7.0),
            Frequency::Q3months => Some(1.0 / 91.0),
            Frequency::Prn | Frequency::Continuous | Frequency::Once => None,
        }
    }

    /// Plain-language wording.
    pub fn describe(self) -> &'static str {
        match self {
            Frequency::Qd => "once daily",
            Frequency::Qhs => "once daily at bedtime",
            Frequency::Bid => "twice daily",
            Frequency::Tid => "three times daily",
            Frequency::Qid => "four times daily",
            Frequency::Q4h => "every 4 hours",
            Frequency::Q6h => "every 6 hours",
            Frequency::Q8h => "every 8 hours",
            Frequency::Q12h => "every 12 hours",
            Frequency::Q72h => "every 72 hours",
            Frequency::Qod => "every other day",
            Frequency::Weekly => "once weekly",
            Frequency::Q3months => "every 3 months",
            Frequency::Prn => "as needed",
            Frequency::Continuous => "continuous infusion",
            Frequency::Once => "single dose",
        }
    }
}

vocabulary! {
    /// Unit of a regimen's numbers.
    DoseUnit {
        Mg => "mg",
        McgPerHour => "mcg_per_hour",
        MgPerKg => "mg_per_kg",
        MgPerKgPerHour => "mg_per_kg_per_hour",
        MgPerDay => "mg_per_day",
    }
}

impl DoseUnit {
    pub fn symbol(self) -> &'static str {
        match self {
            DoseUnit::Mg | DoseUnit::MgPerDay => "mg",
            DoseUnit::McgPerHour => "mcg/h",
            DoseUnit::MgPerKg => "mg/kg",
            DoseUnit::MgPerKgPerHour => "mg/kg/h",
        }
    }
}

vocabulary! {
    /// Route of administration.
    Route {
        Oral => "oral",
        Sublingual => "sublingual",
        Buccal => "buccal",
        Transdermal => "transdermal",
        Topical => "topical",
        Intravenous => "intravenous",
        Intramuscular => "intramuscular",
        Subcutaneous => "subcutaneous",
        Intranasal => "intranasal",
        Rectal => "rectal",
        Inhalation => "inhalation",
    }
}

vocabulary! {
    /// Release profile of a product.
    Release {
        Immediate => "immediate",
        Extended => "extended",
        DelayedRelease => "delayed",
        Gastroretentive => "gastroretentive",
        Prodrug => "prodrug",
    }
}

vocabulary! {
    /// Physical form of a product.
    Form {
        Capsule => "capsule",
        Tablet => "tablet",
        OrallyDisintegratingTablet => "orally-disintegrating-tablet",
        SublingualTablet => "sublingual-tablet",
        BuccalFilm => "buccal-film",
        OralSolution => "oral-solution",
        OralSuspension => "oral-suspension",
        OralConcentrate => "oral-concentrate",
        Patch => "patch",
        Cream => "cream",
        Gel => "gel",
        Injection => "injection",
        NasalSpray => "nasal-spray",
        Suppository => "suppository",
        Liquid => "liquid",
    }
}

vocabulary! {
    /// How often a side effect occurs (CIOMS categories).
    EffectFrequency {
        VeryCommon => "very-common",
        Common => "common",
        Uncommon => "uncommon",
        Rare => "rare",
        VeryRare => "very-rare",
        Unknown => "unknown",
    }
}

vocabulary! {
    /// Strength of a drug–condition fact.
    CautionLevel { Contraindicated => "contraindicated", Caution => "caution" }
}

vocabulary! {
    /// Hepatic or elderly adjustment.
    Adjustment {
        None => "none",
        Reduce => "reduce",
        Renal => "renal",
        Avoid => "avoid",
        Caution => "caution",
    }
}

vocabulary! {
    /// Main elimination route.
    EliminationRoute { Renal => "renal", Hepatic => "hepatic", Mixed => "mixed" }
}

vocabulary! {
    /// Relative cost band.
    CostBand { Low => "low", Moderate => "moderate", High => "high" }
}

vocabulary! {
    /// Patient population of a regimen.
    Population { Adult => "adult", Pediatric => "pediatric", All => "all" }
}

vocabulary! {
    /// Renal function estimate a label asks for.
    RenalMethod { CockcroftGault => "cockcroft-gault", Egfr => "egfr" }
}

vocabulary! {
    /// Kind of source.
    SourceKind {
        Label => "label",
        Guideline => "guideline",
        Paper => "paper",
        Regulator => "regulator",
        Reference => "reference",
        Dataset => "dataset",
        Website => "website",
    }
}

vocabulary! {
    /// Pharmacological (mechanism) or functional (effect the safety rules use) class.
    ClassKind { Pharmacological => "pharmacological", Functional => "functional" }
}

vocabulary! {
    /// Benzodiazepine equivalence table.
    EquivalenceTable { Ashton => "ashton", VaDod => "va-dod", Inferred => "inferred" }
}

vocabulary! {
    /// A dose-equivalence scale: the drug fact it converts through. A class names each scale's
    /// reference drug in its `equivalence:` block.
    EquivalenceScale { DiazepamEquivalent => "diazepam_equivalent", Mme => "mme" }
}

vocabulary! {
    /// What a taper percentage is taken of.
    TaperBasis { Current => "current", Initial => "initial" }
}

vocabulary! {
    /// How a switch between drugs is done.
    SwitchMethod { Overnight => "overnight", CrossTaper => "cross-taper" }
}
