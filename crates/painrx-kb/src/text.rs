//! Text folding shared by name resolution and search: case, accents, punctuation.

/// Fold a name for matching: lowercase ASCII, accents removed, runs of anything that is not a
/// letter, digit, `+` or `%` collapsed to one space. `Prégabaline` → `pregabaline`.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut space = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '%' || c == '.' {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// Slug for ids and section anchors: `How It Works` → `how-it-works`.
pub fn slug(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// Words of a text, folded, for indexing.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| deunicode::deunicode(w).to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_removes_accents_case_and_punctuation() {
        assert_eq!(fold("Prégabaline"), "pregabaline");
        assert_eq!(fold("  Lyrica-CR  "), "lyrica cr");
        assert_eq!(
            fold("Amitriptyline + Pregabalin"),
            "amitriptyline + pregabalin"
        );
    }

    #[test]
    fn slug_makes_anchor_ids() {
        assert_eq!(slug("How It Works"), "how-it-works");
        assert_eq!(
            slug("Adverse Drug Reactions (ADR)"),
            "adverse-drug-reactions-adr"
        );
        assert_eq!(
            slug("Pregnancy and Breastfeeding"),
            "pregnancy-and-breastfeeding"
        );
    }
}
