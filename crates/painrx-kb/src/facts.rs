//! Every computable fact of a monograph with the citation it carries.
//!
//! The validator walks this list to refuse unsourced facts and dangling citations; the
//! `every_fact_is_sourced` test walks it over the whole content.

use crate::at::At;
use crate::model::{FrontMatter, Pk, SourceRef};

/// One computable fact: what it is, where it stands (YAML line) and its citation, if any.
#[derive(Debug)]
pub struct Fact<'a> {
    pub what: String,
    pub yaml_line: usize,
    pub source: Option<&'a SourceRef>,
}

/// List the computable facts of a front matter.
pub fn facts(front: &FrontMatter) -> Vec<Fact<'_>> {
    let mut list = FactList(Vec::new());
    if let Some(c) = &front.controlled {
        list.add(
            "controlled-substance schedule",
            front.id.line,
            c.source.as_ref(),
        );
    }
    for p in &front.products {
        list.add(format!("product `{}`", p.id), p.line, p.source.as_ref());
    }
    list.indications(front);
    for r in &front.renal {
        list.add("renal dosing table", r.line, r.source.as_ref());
    }
    if let Some(h) = &front.hepatic {
        list.add("hepatic adjustment", h.line, h.source.as_ref());
    }
    if let Some(e) = &front.elderly {
        list.add("elderly adjustment", e.line, e.source.as_ref());
    }
    if let Some(pk) = &front.pk {
        list.pk(pk);
    }
    list.safety(front);
    list.conversions(front);
    list.treatments_and_procedures(front);
    list.0
}

/// Facts in the order the validator reports them.
struct FactList<'a>(Vec<Fact<'a>>);

impl<'a> FactList<'a> {
    fn add(&mut self, what: impl Into<String>, yaml_line: usize, source: Option<&'a SourceRef>) {
        self.0.push(Fact {
            what: what.into(),
            yaml_line,
            source,
        });
    }

    /// Each indication, or its regimen with the regimen's increment and older-patient start.
    fn indications(&mut self, front: &'a FrontMatter) {
        for ind in &front.indications {
            let condition = &ind.condition.value;
            let Some(regimen) = &ind.regimen else {
                self.add(
                    format!("indication `{condition}`"),
                    ind.line,
                    ind.source.as_ref(),
                );
                continue;
            };
            if let Some(inc) = regimen.increment.as_ref().filter(|i| i.source.is_some()) {
                self.add(
                    format!("titration increment for `{condition}`"),
                    regimen.line,
                    inc.source.as_ref(),
                );
            }
            if let Some(e) = &regimen.elderly {
                self.add(
                    format!("older-patient start for `{condition}`"),
                    e.line,
                    e.source.as_ref(),
                );
            }
            self.add(
                format!("regimen for indication `{condition}`"),
                regimen.line,
                regimen.source.as_ref().or(ind.source.as_ref()),
            );
        }
    }

    fn pk(&mut self, pk: &'a At<Pk>) {
        let params = [
            ("tmax", &pk.tmax_h),
            ("half-life", &pk.half_life_h),
            ("volume of distribution", &pk.vd_l_per_kg),
        ];
        for (name, param) in params {
            if let Some(p) = param {
                self.add(format!("pk {name}"), p.line, p.source.as_ref());
            }
        }
        let fractions = [
            ("bioavailability", &pk.bioavailability),
            (
                "fraction excreted unchanged",
                &pk.fraction_excreted_unchanged,
            ),
            ("protein binding", &pk.protein_binding),
        ];
        for (name, param) in fractions {
            if let Some(p) = param {
                self.add(format!("pk {name}"), p.line, p.source.as_ref());
            }
        }
        if !pk.bioavailability_by_daily_dose.is_empty() {
            self.add(
                "pk bioavailability by daily dose",
                pk.line,
                pk.bioavailability_by_daily_dose_source.as_ref(),
            );
        }
        if let Some(e) = &pk.elimination {
            self.add("pk elimination", e.line, e.source.as_ref());
        }
        if let Some(a) = &pk.absorption {
            self.add("pk absorption", a.line, a.source.as_ref());
        }
        if let Some(m) = &pk.metabolism {
            self.add("pk metabolism", m.line, m.source.as_ref());
        }
    }

    /// Side effects, contraindications, pregnancy and lactation, cost, MME and ACB.
    fn safety(&mut self, front: &'a FrontMatter) {
        for s in &front.side_effects {
            self.add(
                format!("side effect `{}`", s.effect),
                s.line,
                s.source.as_ref(),
            );
        }
        for c in &front.contraindications {
            self.add(
                format!("contraindication `{}`", c.condition.value),
                c.line,
                c.source.as_ref(),
            );
        }
        if let Some(p) = &front.pregnancy {
            self.add("pregnancy note", p.line, p.source.as_ref());
        }
        if let Some(l) = &front.lactation {
            self.add("lactation note", l.line, l.source.as_ref());
        }
        if let Some(c) = &front.cost {
            self.add("relative cost", c.line, c.source.as_ref());
        }
        if let Some(m) = &front.mme {
            self.add("MME conversion factor", m.line, m.source.as_ref());
        }
        if let Some(a) = &front.acb {
            self.add("anticholinergic burden score", a.line, a.source.as_ref());
        }
    }

    /// How to stop the drug, switch from it, or convert it to diazepam equivalents; a class's
    /// equivalence scale.
    fn conversions(&mut self, front: &'a FrontMatter) {
        if let Some(t) = &front.taper {
            self.add("taper policy", t.line, t.source.as_ref());
        }
        for c in &front.conversions {
            self.add(
                format!("conversion to `{}`", c.to.value),
                c.line,
                c.source.as_ref(),
            );
        }
        if let Some(d) = &front.diazepam_equivalent {
            self.add("diazepam equivalent", d.line, d.source.as_ref());
        }
        if let Some(e) = &front.equivalence {
            self.add(
                format!("equivalence scale `{}`", e.scale),
                e.line,
                e.source.as_ref(),
            );
        }
    }

    /// A condition's first-line treatments; a procedure's course, session and screening.
    fn treatments_and_procedures(&mut self, front: &'a FrontMatter) {
        if !front.first_line.is_empty() {
            let line = front.first_line.first().map(|f| f.line).unwrap_or(0);
            self.add(
                "first-line treatments",
                line,
                front.first_line_source.as_ref(),
            );
        }
        if let Some(c) = &front.course {
            self.add("procedure course", c.line, c.source.as_ref());
        }
        if let Some(s) = &front.session {
            self.add("procedure session", s.line, s.source.as_ref());
        }
        for s in &front.screening {
            self.add(
                format!("screening item `{}`", s.item),
                s.line,
                s.source.as_ref(),
            );
        }
    }
}
