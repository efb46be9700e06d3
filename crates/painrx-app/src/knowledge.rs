//! The knowledge base as answers: a monograph by any of its names, search, comparison.

use painrx_kb::compare::Comparison;
use painrx_kb::{Monograph, Resolution};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::values::Name;
use crate::App;

/// Longest search query read (longer is refused before any work).
pub const MAX_QUERY_CHARS: usize = 500;
/// Most results a search answers with.
pub const MAX_RESULTS: usize = 100;

/// `painrx search`, `GET /api/v1/search`, `/search`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Words to search for.
    pub q: String,
    /// Most results to show (at most 100).
    #[serde(default = "ten")]
    pub limit: usize,
}

/// The answer of a search: the query and its ranked hits.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SearchAnswer {
    pub query: String,
    pub results: Vec<painrx_kb::search::Hit>,
}

fn ten() -> usize {
    10
}

impl App {
    /// The monograph a name means, with how the name was resolved. An unknown name is
    /// "not found" (with its "did you mean").
    pub fn monograph(&self, name: &str) -> AppResult<(Resolution, &Monograph)> {
        let found = self
            .kb()
            .resolve(name)
            .map_err(|e| AppError::NotFound(e.to_string()))?;
        let m = self
            .kb()
            .get(&found.id)
            .ok_or_else(|| AppError::NotFound(format!("unknown name `{name}`")))?;
        Ok((found, m))
    }

    /// The JSON of `drug show [--section S]`: the whole monograph, or one section of it.
    pub fn monograph_json(&self, name: &str, section: Option<&str>) -> AppResult<Value> {
        let (found, m) = self.monograph(name)?;
        match section {
            None => Ok(self.kb().monograph_json(m, &found)),
            Some(wanted) => Ok(json!({
                "id": m.id(),
                "title": m.title(),
                "resolved": found,
                "section": section_json(m, wanted)?,
            })),
        }
    }

    /// Ranked full-text search.
    pub fn search(&self, r: &SearchRequest) -> AppResult<SearchAnswer> {
        let query = r.q.trim();
        if query.is_empty() {
            return Err(AppError::field("empty query: give words to search for"));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::field(format!(
                "a query of {} characters is too long: at most {MAX_QUERY_CHARS}",
                query.chars().count()
            )));
        }
        Ok(SearchAnswer {
            query: r.q.clone(),
            results: self.kb().search(&r.q, r.limit.min(MAX_RESULTS)),
        })
    }

    /// A side-by-side comparison of two or more drugs.
    pub fn compare(&self, names: &[Name]) -> AppResult<Comparison> {
        let ids = names
            .iter()
            .map(|n| self.resolve(n).map(|r| r.id))
            .collect::<AppResult<Vec<_>>>()?;
        let refs: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
        Ok(painrx_kb::compare::compare(self.kb(), &refs)?)
    }
}

/// A section as JSON (`faqs` for the questions), or which sections there are.
pub fn section_json(m: &Monograph, wanted: &str) -> AppResult<Value> {
    if painrx_kb::text::slug(wanted).starts_with("faq") {
        return Ok(json!({"id": "faqs", "title": "FAQs", "faqs": m.faqs()}));
    }
    match m.section(wanted) {
        Some(section) => {
            serde_json::to_value(section).map_err(|e| AppError::Internal(e.to_string()))
        }
        None => {
            let mut ids: Vec<&str> = Vec::new();
            for s in &m.sections {
                ids.push(&s.id);
                ids.extend(s.subsections.iter().map(|x| x.id.as_str()));
            }
            ids.push("faqs");
            Err(AppError::NotFound(format!(
                "{} has no section `{wanted}`; sections: {}",
                m.title(),
                ids.join(", ")
            )))
        }
    }
}
