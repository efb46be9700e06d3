//! Every computable fact of a monograph with the citation it carries.
//!
//! The validator walks this list to refuse unsourced facts and dangling citations; the
//! `every_fact_is_sourced` test walks it over the whole content.

use crate::model::{FrontMatter, SourceRef};

/// One computable fact: what it is, where it stands (YAML line) and its citation, if any.
#[derive(Debug)]
pub struct Fact<'a> {
    pub what: String,
    pub yaml_line: usize,
    pub source: Option<&'a SourceRef>,
}

/// List the computable facts of a front matter.
pub fn facts(front: &FrontMatter) -> Vec<Fact<'_>> {
    let mut list: Vec<(String, usize, Option<&SourceRef>)> = Vec::new();

    if let Some(c) = &front.controlled {
        list.push((
            "controlled-substance schedule".into(),
            front.id.line,
            c.source.as_ref(),
        ));
    }
    for p in &front.products {
        list.push((format!("product `{}`", p.id), p.line, p.source.as_ref()));
    }
    for ind in &front.indications {
        if let Some(regimen) = &ind.regimen {
            if let Some(inc) = regimen.increment.as_ref().filter(|i| i.source.is_some()) {
                list.push((
                    format!("titration increment for `{}`", ind.condition.value),
                    regimen.line,
                    inc.source.as_ref(),
                ));
            }
            if let Some(e) = &regimen.elderly {
                list.push((
                    format!("older-patient start for `{}`", ind.condition.value),
                    e.line,
                    e.source.as_ref(),
                ));
            }
            list.push((
                format!("regimen for indication `{}`", ind.condition.value),
                regimen.line,
                regimen.source.as_ref().or(ind.source.as_ref()),
            ));
        } else {
            list.push((
                format!("indication `{}`", ind.condition.value),
                ind.line,
                ind.source.as_ref(),
            ));
        }
    }
    for r in &front.renal {
        list.push(("renal dosing table".into(), r.line, r.source.as_ref()));
    }
    if let Some(h) = &front.hepatic {
        list.push(("hepatic adjustment".into(), h.line, h.source.as_ref()));
    }
    if let Some(e) = &front.elderly {
        list.push(("elderly adjustment".into(), e.line, e.source.as_ref()));
    }
    if let Some(pk) = &front.pk {
        let params = [
            ("tmax", &pk.tmax_h),
            ("half-life", &pk.half_life_h),
            ("volume of distribution", &pk.vd_l_per_kg),
        ];
        for (name, param) in params {
            if let Some(p) = param {
                list.push((format!("pk {name}"), p.line, p.source.as_ref()));
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
                list.push((format!("pk {name}"), p.line, p.source.as_ref()));
            }
        }
        if !pk.bioavailability_by_daily_dose.is_empty() {
            list.push((
                "pk bioavailability by daily dose".into(),
                pk.line,
                pk.bioavailability_by_daily_dose_source.as_ref(),
            ));
        }
        if let Some(e) = &pk.elimination {
            list.push(("pk elimination".into(), e.line, e.source.as_ref()));
        }
        if let Some(a) = &pk.absorption {
            list.push(("pk absorption".into(), a.line, a.source.as_ref()));
        }
        if let Some(m) = &pk.metabolism {
            list.push(("pk metabolism".into(), m.line, m.source.as_ref()));
        }
    }
    for s in &front.side_effects {
        list.push((
            format!("side effect `{}`", s.effect),
            s.line,
            s.source.as_ref(),
        ));
    }
    for c in &front.contraindications {
        list.push((
            format!("contraindication `{}`", c.condition.value),
            c.line,
            c.source.as_ref(),
        ));
    }
    if let Some(p) = &front.pregnancy {
        list.push(("pregnancy note".into(), p.line, p.source.as_ref()));
    }
    if let Some(l) = &front.lactation {
        list.push(("lactation note".into(), l.line, l.source.as_ref()));
    }
    if let Some(c) = &front.cost {
        list.push(("relative cost".into(), c.line, c.source.as_ref()));
    }
    if let Some(m) = &front.mme {
        list.push(("MME conversion factor".into(), m.line, m.source.as_ref()));
    }
    if let Some(a) = &front.acb {
        list.push((
            "anticholinergic burden score".into(),
            a.line,
            a.source.as_ref(),
        ));
    }
    if let Some(t) = &front.taper {
        list.push(("taper policy".into(), t.line, t.source.as_ref()));
    }
    for c in &front.conversions {
        list.push((
            format!("conversion to `{}`", c.to.value),
            c.line,
            c.source.as_ref(),
        ));
    }
    if let Some(d) = &front.diazepam_equivalent {
        list.push(("diazepam equivalent".into(), d.line, d.source.as_ref()));
    }
    if !front.first_line.is_empty() {
        let line = front.first_line.first().map(|f| f.line).unwrap_or(0);
        list.push((
            "first-line treatments".into(),
            line,
            front.first_line_source.as_ref(),
        ));
    }
    if let Some(c) = &front.course {
        list.push(("procedure course".into(), c.line, c.source.as_ref()));
    }
    if let Some(s) = &front.session {
        list.push(("procedure session".into(), s.line, s.source.as_ref()));
    }
    for s in &front.screening {
        list.push((
            format!("screening item `{}`", s.item),
            s.line,
            s.source.as_ref(),
        ));
    }
    list.into_iter()
        .map(|(what, yaml_line, source)| Fact {
            what,
            yaml_line,
            source,
        })
        .collect()
}
