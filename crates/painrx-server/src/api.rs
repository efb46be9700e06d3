//! `/api/v1` handlers: parse, call painrx-kb / painrx-engine, answer with the types the CLI prints.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use painrx_engine::dose::{parse_dose, Amount, Dose};
use painrx_engine::range::Kidneys;
use painrx_engine::screen::{Medication, Patient};
use painrx_kb::vocab::Kind;
use painrx_kb::Kb;
use serde::Deserialize;
use serde_json::json;

use crate::{AppState, Problem};

type ApiResult = Result<Response, Problem>;

fn ok(value: impl serde::Serialize) -> ApiResult {
    Ok(Json(value).into_response())
}

/// Parse a JSON body, turning rejections into problem+json.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, Problem> {
    payload.map(|Json(v)| v).map_err(Problem::from)
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the knowledge base is loaded and the database answers.
pub async fn readyz(State(state): State<AppState>) -> ApiResult {
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "database not ready");
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer yet",
        ));
    }
    ok(json!({
        "status": "ready",
        "monographs": state.kb.monographs().len(),
        "rules": state.kb.rules().len(),
        "database": state.store.dialect(),
    }))
}

pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; see /api/v1 in README.md",
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrugQuery {
    section: Option<String>,
}

pub async fn drug(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<DrugQuery>,
) -> ApiResult {
    let kb = &state.kb;
    let found = kb
        .resolve(&name)
        .map_err(|e| Problem::not_found(e.to_string()))?;
    let m = kb
        .get(&found.id)
        .ok_or_else(|| Problem::not_found(format!("unknown name `{name}`")))?;
    if let Some(wanted) = &q.section {
        let section = if painrx_kb::text::slug(wanted).starts_with("faq") {
            json!({"id": "faqs", "title": "FAQs", "faqs": m.faqs()})
        } else {
            serde_json::to_value(m.section(wanted).ok_or_else(|| {
                Problem::not_found(format!("{} has no section `{wanted}`", m.title()))
            })?)
            .map_err(Problem::internal)?
        };
        return ok(
            json!({"id": m.id(), "title": m.title(), "resolved": found, "section": section}),
        );
    }
    let mut value = serde_json::to_value(m).map_err(Problem::internal)?;
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "resolved".into(),
            serde_json::to_value(&found).map_err(Problem::internal)?,
        );
        object.insert("all_classes".into(), json!(kb.classes_of(m.id())));
        if m.kind() == Kind::Class {
            let members: Vec<&str> = kb.members_of(m.id()).iter().map(|d| d.id()).collect();
            object.insert("members".into(), json!(members));
        }
    }
    ok(value)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: String,
    #[serde(default = "ten")]
    limit: usize,
}

fn ten() -> usize {
    10
}

pub async fn search(State(state): State<AppState>, Query(q): Query<SearchQuery>) -> ApiResult {
    if q.q.trim().is_empty() {
        return Err(Problem::invalid("empty query: give words to search for"));
    }
    ok(json!({"query": q.q, "results": state.kb.search(&q.q, q.limit.min(100))}))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareQuery {
    /// Comma-separated drug names.
    drugs: String,
}

pub async fn compare(State(state): State<AppState>, Query(q): Query<CompareQuery>) -> ApiResult {
    let mut ids = Vec::new();
    for name in q.drugs.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        ids.push(
            state
                .kb
                .resolve(name)
                .map_err(|e| Problem::invalid(e.to_string()))?
                .id,
        );
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    ok(painrx_kb::compare::compare(&state.kb, &refs).map_err(Problem::invalid)?)
}

/// Kidney function in a request: a CrCl, or the values to estimate it (Cockcroft–Gault).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct KidneyFields {
    #[serde(default)]
    crcl: Option<f64>,
    #[serde(default)]
    age: Option<f64>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    weight_kg: Option<f64>,
    #[serde(default)]
    scr: Option<f64>,
    #[serde(default)]
    scr_unit: Option<String>,
    #[serde(default)]
    hemodialysis: bool,
}

fn kidneys(k: &KidneyFields) -> Result<Kidneys, Problem> {
    use painrx_engine::renal::{cockcroft_gault, CreatinineUnit, RenalInput, Sex, WeightBasis};
    let crcl = match (k.crcl, k.scr) {
        (Some(c), None) => Some(c),
        (Some(_), Some(_)) => {
            return Err(Problem::invalid(
                "give `crcl` or `scr` (with age, sex, weight_kg), not both",
            ))
        }
        (None, Some(scr)) => {
            let (Some(age), Some(sex), Some(weight)) = (k.age, &k.sex, k.weight_kg) else {
                return Err(Problem::invalid(
                    "`scr` needs `age`, `sex` and `weight_kg` to estimate CrCl",
                ));
            };
            let sex: Sex = sex.parse().map_err(Problem::invalid)?;
            let unit: CreatinineUnit = k
                .scr_unit
                .as_deref()
                .unwrap_or("mg/dL")
                .parse()
                .map_err(Problem::invalid)?;
            let input =
                RenalInput::new(age, sex, weight, scr, unit, None).map_err(Problem::invalid)?;
            Some(
                (cockcroft_gault(&input, WeightBasis::Actual).map_err(Problem::invalid)? * 10.0)
                    .round()
                    / 10.0,
            )
        }
        (None, None) => None,
    };
    Ok(Kidneys {
        crcl_ml_min: crcl,
        hemodialysis: k.hemodialysis,
    })
}

fn resolve(kb: &Kb, name: &str) -> Result<painrx_kb::Resolution, Problem> {
    kb.resolve(name)
        .map_err(|e| Problem::invalid(e.to_string()))
}

fn dose_of(text: &str) -> Result<Dose, Problem> {
    parse_dose(text).map_err(Problem::invalid)
}

fn mg_of(dose: &Dose, text: &str) -> Result<f64, Problem> {
    match dose.amount {
        Amount::Mg { mg } => Ok(mg),
        _ => Err(Problem::invalid(format!(
            "`{text}`: give the dose in mg, e.g. `300 mg TID`"
        ))),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    medications: Vec<String>,
    #[serde(default)]
    age: Option<f64>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    allergies: Vec<String>,
    #[serde(default)]
    pregnant: bool,
    #[serde(default)]
    breastfeeding: bool,
    /// A draft order to screen against the list.
    #[serde(default)]
    new: Option<String>,
}

pub async fn check(
    State(state): State<AppState>,
    payload: Result<Json<CheckRequest>, JsonRejection>,
) -> ApiResult {
    let req = body(payload)?;
    let kb = &state.kb;
    if req.medications.is_empty() {
        return Err(Problem::invalid("`medications` is empty"));
    }
    let patient = Patient::parse(
        kb,
        req.age,
        &req.conditions,
        &req.allergies,
        req.pregnant,
        req.breastfeeding,
    )
    .map_err(Problem::invalid)?;
    if let Some(sex) = &req.sex {
        sex.parse::<painrx_engine::renal::Sex>()
            .map_err(Problem::invalid)?;
    }
    let mut meds = req
        .medications
        .iter()
        .map(|m| medication(kb, m))
        .collect::<Result<Vec<_>, _>>()?;
    let new_index = match &req.new {
        Some(n) => {
            meds.push(medication(kb, n)?);
            Some(meds.len() - 1)
        }
        None => None,
    };
    let mut result = state
        .screener
        .screen(&patient, &meds)
        .map_err(Problem::invalid)?;
    if let Some(n) = new_index {
        result.findings.retain(|f| f.inputs.contains(&n));
    }
    ok(result)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenalRequest {
    age: f64,
    sex: String,
    weight_kg: f64,
    scr: f64,
    #[serde(default)]
    scr_unit: Option<String>,
    #[serde(default)]
    height_cm: Option<f64>,
    #[serde(default)]
    weight_basis: Option<String>,
}

pub async fn renal(payload: Result<Json<RenalRequest>, JsonRejection>) -> ApiResult {
    use painrx_engine::renal::{estimate, CreatinineUnit, RenalInput, Sex, WeightBasis};
    let r = body(payload)?;
    let sex: Sex = r.sex.parse().map_err(Problem::invalid)?;
    let unit: CreatinineUnit = r
        .scr_unit
        .as_deref()
        .unwrap_or("mg/dL")
        .parse()
        .map_err(Problem::invalid)?;
    let basis: WeightBasis = r
        .weight_basis
        .as_deref()
        .unwrap_or("actual")
        .parse()
        .map_err(Problem::invalid)?;
    let input = RenalInput::new(r.age, sex, r.weight_kg, r.scr, unit, r.height_cm)
        .map_err(Problem::invalid)?;
    ok(estimate(&input, basis).map_err(Problem::invalid)?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RangeRequest {
    drug: String,
    #[serde(default)]
    indication: Option<String>,
    #[serde(flatten)]
    kidneys: KidneyFields,
}

pub async fn dose_range(
    State(state): State<AppState>,
    payload: Result<Json<RangeRequest>, JsonRejection>,
) -> ApiResult {
    let r = body(payload)?;
    let found = resolve(&state.kb, &r.drug)?;
    ok(painrx_engine::range::dose_range(
        &state.kb,
        &found.id,
        found.product.as_deref(),
        r.indication.as_deref(),
        kidneys(&r.kidneys)?,
    )
    .map_err(Problem::invalid)?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DoseCheckRequest {
    drug: String,
    dose: String,
    #[serde(default)]
    indication: Option<String>,
    #[serde(flatten)]
    kidneys: KidneyFields,
}

pub async fn dose_check(
    State(state): State<AppState>,
    payload: Result<Json<DoseCheckRequest>, JsonRejection>,
) -> ApiResult {
    let r = body(payload)?;
    let found = resolve(&state.kb, &r.drug)?;
    let dose = dose_of(&r.dose)?;
    ok(painrx_engine::check::check_dose(
        &state.kb,
        &found.id,
        found.product.as_deref(),
        found.strength.as_ref(),
        &dose,
        r.indication.as_deref(),
        kidneys(&r.kidneys)?,
    )
    .map_err(Problem::invalid)?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TitrateRequest {
    drug: String,
    indication: String,
    #[serde(default)]
    target: Option<f64>,
    #[serde(flatten)]
    kidneys: KidneyFields,
}

pub async fn titrate(
    State(state): State<AppState>,
    payload: Result<Json<TitrateRequest>, JsonRejection>,
) -> ApiResult {
    let r = body(payload)?;
    let found = resolve(&state.kb, &r.drug)?;
    let options = painrx_engine::schedule::TitrateOptions {
        product: found.product.as_deref(),
        indication: Some(&r.indication),
        kidneys: kidneys(&r.kidneys)?,
        age: r.kidneys.age,
        target_daily_mg: r.target,
    };
    ok(
        painrx_engine::schedule::titrate(&state.kb, &found.id, &options)
            .map_err(Problem::invalid)?,
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaperRequest {
    drug: String,
    from: String,
    #[serde(default)]
    speed: Option<String>,
    #[serde(default)]
    percent: Option<f64>,
    #[serde(default)]
    interval_days: Option<u32>,
    #[serde(default)]
    via: Option<String>,
}

pub async fn taper(
    State(state): State<AppState>,
    payload: Result<Json<TaperRequest>, JsonRejection>,
) -> ApiResult {
    use painrx_engine::schedule::TaperPace;
    let r = body(payload)?;
    let found = resolve(&state.kb, &r.drug)?;
    let dose = dose_of(&r.from)?;
    let per_dose = mg_of(&dose, &r.from)?;
    let pace = match (r.speed.as_deref(), r.percent, r.interval_days) {
        (None, Some(percent), Some(interval_days)) => TaperPace::Custom {
            percent,
            interval_days,
        },
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(Problem::invalid(
                "give `speed` or `percent` with `interval_days`, not both",
            ))
        }
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(Problem::invalid(
                "`percent` and `interval_days` go together",
            ))
        }
        (None, None, None) | (Some("standard"), None, None) => TaperPace::Standard,
        (Some("slow"), None, None) => TaperPace::Slow,
        (Some("fast"), None, None) => TaperPace::Fast,
        (Some(other), None, None) => {
            return Err(Problem::invalid(format!(
                "unknown speed `{other}`: use slow, standard or fast"
            )))
        }
    };
    let plan = match r.via.as_deref() {
        None => painrx_engine::schedule::taper(
            &state.kb,
            &found.id,
            found.product.as_deref(),
            per_dose,
            dose.frequency,
            &pace,
        ),
        Some(via) if state.kb.resolve(via).is_ok_and(|v| v.id == "diazepam") => {
            painrx_engine::schedule::taper_via_diazepam(
                &state.kb,
                &found.id,
                found.product.as_deref(),
                per_dose,
                dose.frequency,
                &pace,
            )
        }
        Some(other) => {
            return Err(Problem::invalid(format!(
                "`via: {other}`: painrx tapers via diazepam only"
            )))
        }
    };
    ok(plan.map_err(Problem::invalid)?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SwitchRequest {
    drug: String,
    from: String,
    to: String,
    #[serde(flatten)]
    kidneys: KidneyFields,
}

pub async fn switch(
    State(state): State<AppState>,
    payload: Result<Json<SwitchRequest>, JsonRejection>,
) -> ApiResult {
    let r = body(payload)?;
    let from = resolve(&state.kb, &r.drug)?;
    let to = resolve(&state.kb, &r.to)?;
    let dose = dose_of(&r.from)?;
    let per_dose = mg_of(&dose, &r.from)?;
    ok(painrx_engine::schedule::switch(
        &state.kb,
        &from.id,
        per_dose,
        dose.frequency,
        &to.id,
        kidneys(&r.kidneys)?,
    )
    .map_err(Problem::invalid)?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquivRequest {
    drug: String,
    dose: String,
    to: String,
    #[serde(default)]
    table: Option<String>,
}

pub async fn equiv(
    State(state): State<AppState>,
    payload: Result<Json<EquivRequest>, JsonRejection>,
) -> ApiResult {
    let r = body(payload)?;
    let from = resolve(&state.kb, &r.drug)?;
    let to = resolve(&state.kb, &r.to)?;
    let dose = dose_of(&r.dose)?;
    let mg = mg_of(&dose, &r.dose)?;
    let table = match r.table.as_deref().unwrap_or("ashton") {
        "ashton" => painrx_kb::vocab::EquivalenceTable::Ashton,
        "va-dod" | "vadod" => painrx_kb::vocab::EquivalenceTable::VaDod,
        other => {
            return Err(Problem::invalid(format!(
                "unknown table `{other}`: use ashton or va-dod"
            )))
        }
    };
    ok(
        painrx_engine::equiv::equivalent(&state.kb, &from.id, mg, &to.id, table)
            .map_err(Problem::invalid)?,
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcrRequest {
    #[serde(default)]
    pain_areas: String,
    fatigue: i64,
    unrefreshed: i64,
    cognitive: i64,
    #[serde(default)]
    headaches: bool,
    #[serde(default)]
    abdominal: bool,
    #[serde(default)]
    depression: bool,
    months: f64,
    #[serde(default)]
    criteria: Option<String>,
}

pub async fn acr2016(payload: Result<Json<AcrRequest>, JsonRejection>) -> ApiResult {
    use painrx_engine::assess::{acr, parse_areas, AcrAnswers, Criteria};
    let r = body(payload)?;
    let criteria = match r.criteria.as_deref().unwrap_or("2016") {
        "2016" => Criteria::Acr2016,
        "2010" | "2011" => Criteria::Acr2010,
        other => {
            return Err(Problem::invalid(format!(
                "unknown criteria `{other}`: use 2016 or 2010"
            )))
        }
    };
    let areas = parse_areas(&r.pain_areas).map_err(Problem::invalid)?;
    let answers = AcrAnswers::new(
        areas,
        [r.fatigue, r.unrefreshed, r.cognitive],
        [r.headaches, r.abdominal, r.depression],
        r.months,
    )
    .map_err(Problem::invalid)?;
    ok(acr(&answers, criteria))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FiqrRequest {
    answers: String,
}

pub async fn fiqr(payload: Result<Json<FiqrRequest>, JsonRejection>) -> ApiResult {
    let r = body(payload)?;
    ok(painrx_engine::assess::fiqr(&r.answers).map_err(Problem::invalid)?)
}

/// A medication line, read as `painrx check` reads it.
pub(crate) fn medication(kb: &Kb, text: &str) -> Result<Medication, Problem> {
    Medication::parse(kb, text).map_err(Problem::invalid)
}

/// `painrx kb check --json` over the content this server runs on (the copy compiled in, or the
/// `--content` folder it was started with).
pub async fn kb_check(State(state): State<AppState>) -> ApiResult {
    let summary = match state.content_dir.clone() {
        None => painrx_kb::Kb::check_summary(&painrx_kb::load::embedded(), "content (compiled in)"),
        Some(dir) => tokio::task::spawn_blocking(move || {
            painrx_kb::load::read_dir(&dir)
                .map(|files| painrx_kb::Kb::check_summary(&files, &dir.display().to_string()))
        })
        .await
        .map_err(Problem::internal)?
        .map_err(Problem::internal)?,
    };
    ok(summary)
}

/// `painrx kb import-page`: a page in the seed site's format (the body, as text) becomes a
/// monograph draft → `{"text", "report"}` (`report` is what `--json` prints).
pub async fn kb_import_page(text: String) -> ApiResult {
    if text.trim().is_empty() {
        return Err(Problem::invalid("send the page's text as the request body"));
    }
    let draft = painrx_kb::import::import_page(&text)
        .map_err(|e| Problem::invalid(format!("cannot import the page: {e}")))?;
    ok(json!({"text": draft.text, "report": draft.report}))
}
