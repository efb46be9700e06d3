//! How serious a finding is. Its own file because build.rs includes it (with `ansm.rs`) to compile
//! the newest ANSM edition into the binary.

use serde::{Deserialize, Serialize};

/// How serious a finding is; declaration order is most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    #[serde(rename = "contraindicated")]
    Contraindicated,
    #[serde(rename = "major")]
    Major,
    #[serde(rename = "moderate")]
    Moderate,
    #[serde(rename = "minor")]
    Minor,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Contraindicated => "contraindicated",
            Severity::Major => "major",
            Severity::Moderate => "moderate",
            Severity::Minor => "minor",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
