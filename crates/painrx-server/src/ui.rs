//! The server-rendered web app: minijinja templates (`templates/`, HTML auto-escaping) over the
//! same painrx-kb / painrx-engine calls as the API, and the vendored assets in `static/`.
//!
//! Architecture Invariant: no HTML in Rust strings and no clinical logic here; Markdown is
//! rendered to HTML only for monograph sections, which come from reviewed `content/`.

use std::sync::OnceLock;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use minijinja::{context, AutoEscape, Environment, Value};
use painrx_engine::time::{ClockTime, ClockTimeError, Date, DateError};
use painrx_kb::quantity::format_number;
use painrx_kb::vocab::Kind;
use painrx_kb::{Kb, Monograph, ResolveError};
use serde::Serialize;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;

/// Content-Security-Policy of every page: no inline script, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The printable schedule carries its own `<style>` (painrx-render): inline styles only, still no script.
pub(crate) const PRINT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const ASSET_CACHE: &str = "public, max-age=86400";

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    (
        "monograph.html",
        include_str!("../templates/monograph.html"),
    ),
    ("search.html", include_str!("../templates/search.html")),
    ("compare.html", include_str!("../templates/compare.html")),
    ("check.html", include_str!("../templates/check.html")),
    ("renal.html", include_str!("../templates/renal.html")),
    (
        "dose_range.html",
        include_str!("../templates/dose_range.html"),
    ),
    ("plan.html", include_str!("../templates/plan.html")),
    ("acr.html", include_str!("../templates/acr.html")),
    ("fiqr.html", include_str!("../templates/fiqr.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("diary.html", include_str!("../templates/diary.html")),
    ("courses.html", include_str!("../templates/courses.html")),
    ("patients.html", include_str!("../templates/patients.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("equiv.html", include_str!("../templates/equiv.html")),
];

/// The web app's routes (merged into `app`).
pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(home))
        .route("/drugs/{id}", get(monograph_page))
        .route("/conditions/{id}", get(monograph_page))
        .route("/combinations/{id}", get(monograph_page))
        .route("/classes/{id}", get(monograph_page))
        .route("/procedures/{id}", get(monograph_page))
        .route("/search", offloaded(search))
        .route("/compare", offloaded(compare))
        .route("/check", offloaded(check))
        .route("/renal", offloaded(renal))
        .route("/dose-range", offloaded(dose_range))
        .route("/plan/titrate", offloaded(titrate_page))
        .route("/plan/titrate.ics", offloaded(titrate_ics))
        .route("/plan/titrate/print", offloaded(titrate_print))
        .route("/plan/taper", offloaded(taper_page))
        .route("/plan/taper.ics", offloaded(taper_ics))
        .route("/plan/taper/print", offloaded(taper_print))
        .route("/plan/switch", offloaded(switch_page))
        .route("/plan/switch.ics", offloaded(switch_ics))
        .route("/plan/switch/print", offloaded(switch_print))
        .route("/equiv", offloaded(equiv))
        .route("/assess/acr2016", offloaded(acr2016))
        .route("/assess/fiqr", offloaded(fiqr))
        .route("/static/app.css", get(app_css))
        .route("/static/app.js", get(app_js))
        .merge(crate::web::router());
    page_headers(pages)
}

/// A public page, computed in the compute pool (off the async workers): name resolution,
/// search, screening and plans are CPU work (STYLE.md habit 11).
fn offloaded(page: fn(&AppState, &Params) -> PageResult) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>, Query(p): Query<Params>| async move {
            let work = state.work.clone();
            work.compute(move || page(&state, &p)).await?
        },
    )
}

/// The headers of every HTML page: CSP (no inline script, no framing), nosniff, referrer policy.
fn page_headers(router: Router<AppState>) -> Router<AppState> {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "bad template");
            }
        }
        env
    })
}

/// An HTML response, or a friendly error page.
pub(crate) type PageResult = Result<Response, ErrorPage>;

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) fn render(name: &str, ctx: Value) -> PageResult {
    env()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map(|body| html(StatusCode::OK, body))
        .map_err(|e| ErrorPage::internal(format!("cannot render `{name}`: {e}")))
}

/// A header value built from text (a file name, a cookie); text that cannot be one is a 500.
pub(crate) fn header_value(text: &str) -> Result<HeaderValue, ErrorPage> {
    HeaderValue::from_str(text)
        .map_err(|e| ErrorPage::internal(format!("`{text}` is not a header value: {e}")))
}

/// A rendered page with another status than 200 (a form shown again with its error).
pub(crate) fn with_status(page: PageResult, status: StatusCode) -> PageResult {
    let mut page = page?;
    *page.status_mut() = status;
    Ok(page)
}

/// A suggestion on an error page.
#[derive(Debug, Serialize)]
struct Suggestion {
    name: String,
    href: String,
}

/// The friendly error page: a status, what went wrong and, for names, "did you mean".
#[derive(Debug)]
pub struct ErrorPage {
    status: StatusCode,
    heading: String,
    message: String,
    suggestions: Vec<Suggestion>,
    /// Not an error to show but a page that needs a signed-in user: go to `/login` and come
    /// back to this path.
    sign_in: Option<String>,
    /// `Retry-After` in seconds (a 503 while the database is unavailable).
    retry_after: Option<u32>,
}

impl ErrorPage {
    pub(crate) fn new(
        status: StatusCode,
        heading: &str,
        message: impl std::fmt::Display,
    ) -> ErrorPage {
        ErrorPage {
            status,
            heading: heading.to_string(),
            message: message.to_string(),
            suggestions: Vec::new(),
            sign_in: None,
            retry_after: None,
        }
    }

    /// The page at `here` needs a signed-in user: a redirect to `/login?next=here`.
    pub(crate) fn sign_in(here: &str) -> ErrorPage {
        ErrorPage {
            sign_in: Some(here.to_string()),
            ..ErrorPage::new(StatusCode::SEE_OTHER, "Please sign in", "sign in first")
        }
    }

    /// An unexpected failure: logged in full, shown only as a generic message (500).
    pub(crate) fn internal(detail: impl std::fmt::Display) -> ErrorPage {
        tracing::error!(%detail, "internal error");
        ErrorPage::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "an internal error occurred; it has been logged",
        )
    }

    /// Bad input: 422.
    pub(crate) fn invalid(message: impl std::fmt::Display) -> ErrorPage {
        ErrorPage::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check what you entered",
            message,
        )
    }

    /// A name painrx does not know, with its suggestions as links.
    fn unknown(status: StatusCode, error: &ResolveError) -> ErrorPage {
        let candidates = match error {
            ResolveError::NotFound { suggestions, .. } => suggestions.as_slice(),
            ResolveError::Ambiguous { candidates, .. } => candidates.as_slice(),
            _ => &[],
        };
        let heading = if status == StatusCode::NOT_FOUND {
            "Not found"
        } else {
            "Please check what you entered"
        };
        ErrorPage {
            suggestions: candidates
                .iter()
                .map(|c| Suggestion {
                    name: c.name.clone(),
                    href: href_of(c.kind, &c.id),
                })
                .collect(),
            ..ErrorPage::new(status, heading, error)
        }
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        if let Some(here) = &self.sign_in {
            return axum::response::Redirect::to(&format!("/login?next={}", encode(here)))
                .into_response();
        }
        let ctx = context! {
            heading => self.heading,
            message => self.message,
            suggestions => self.suggestions,
        };
        let mut response = match env().get_template("error.html").and_then(|t| t.render(ctx)) {
            Ok(body) => html(self.status, body),
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                (self.status, self.message).into_response()
            }
        };
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A problem from the shared account and diary code, as a page.
impl From<crate::Problem> for ErrorPage {
    fn from(p: crate::Problem) -> ErrorPage {
        let code = p.status_code();
        let heading = match code {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
            c if c.is_server_error() => "Something went wrong",
            _ => "Please check what you entered",
        };
        ErrorPage {
            retry_after: p.retry_after_seconds(),
            ..ErrorPage::new(code, heading, &p.detail)
        }
    }
}

/// A store error as a page, by way of its problem.
impl From<painrx_store::StoreError> for ErrorPage {
    fn from(e: painrx_store::StoreError) -> ErrorPage {
        ErrorPage::from(crate::Problem::from(e))
    }
}

/// The one mapping of the application layer's errors onto the web's error page (with "did you
/// mean" links for a name painrx does not know).
impl From<painrx_app::AppError> for ErrorPage {
    fn from(error: painrx_app::AppError) -> ErrorPage {
        use painrx_app::{AppError, ErrorKind};
        match (&error, error.kind()) {
            (AppError::Resolve(e), _) => ErrorPage::unknown(StatusCode::UNPROCESSABLE_ENTITY, e),
            (_, ErrorKind::Invalid) => ErrorPage::invalid(error),
            (_, ErrorKind::NotFound) => ErrorPage::new(StatusCode::NOT_FOUND, "Not found", error),
            (_, ErrorKind::NotReady) => {
                ErrorPage::new(StatusCode::CONFLICT, "Not set up here", error)
            }
            (_, ErrorKind::Internal) => ErrorPage::internal(error),
        }
    }
}

/// A form's fields as one request of painrx-app, read by the same serde rules as a JSON body
/// (an unknown field is refused). Only translation happens here: blank boxes are left out (a
/// blank box is no value), `renames` maps a form's field names onto the request's (`med` →
/// `medications`, as `--condition` → `conditions` on the command line), and `page_only` fields
/// (a plan's start date, the written dose of the range page) belong to the page, not the
/// request.
pub(crate) fn form<T: serde::de::DeserializeOwned>(
    p: &Params,
    renames: &[(&str, &str)],
    page_only: &[&str],
) -> Result<T, ErrorPage> {
    let pairs: Vec<(&str, &str)> =
        p.0.iter()
            .filter(|(k, v)| !v.trim().is_empty() && !page_only.contains(&k.as_str()))
            .map(|(k, v)| {
                let key = renames
                    .iter()
                    .find(|(from, _)| from == k)
                    .map_or(k.as_str(), |(_, to)| *to);
                (key, v.trim())
            })
            .collect();
    let encoded = serde_html_form::to_string(&pairs).map_err(ErrorPage::invalid)?;
    serde_html_form::from_str(&encoded).map_err(ErrorPage::invalid)
}

fn section_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Drug => "drugs",
        Kind::Condition => "conditions",
        Kind::Combination => "combinations",
        Kind::Class => "classes",
        Kind::Procedure => "procedures",
    }
}

pub(crate) fn href_of(kind: Kind, id: &str) -> String {
    format!("/{}/{}", section_of(kind), encode(id))
}

/// Percent-encode a query or path component (everything but unreserved characters).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Query parameters in order; repeated keys allowed (`med=a&med=b`).
#[derive(Debug, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    /// The first non-blank value of `key`, trimmed.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    /// Every non-blank value of `key`, trimmed.
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The first value of `key` exactly as sent (passwords, notes), or empty.
    pub(crate) fn raw(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The date in `key`, if one is given.
    pub(crate) fn date(&self, key: &str) -> Result<Option<Date>, DateError> {
        self.get(key).map(str::parse).transpose()
    }

    /// The clock time in `key`, if one is given.
    pub(crate) fn clock_time(&self, key: &str) -> Result<Option<ClockTime>, ClockTimeError> {
        self.get(key).map(str::parse).transpose()
    }

    pub(crate) fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_string()
    }

    pub(crate) fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| !matches!(v, "0" | "false" | "no" | "off"))
    }

    /// The parameters again, as a query string (for the .ics and print links).
    fn query_string(&self) -> String {
        self.0
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{}={}", encode(k), encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A citation with its registry entry, for the "Sources" list.
#[derive(Debug, Serialize)]
pub(crate) struct SourceView {
    citation: String,
    title: Option<String>,
    publisher: Option<String>,
    year: Option<u16>,
    url: Option<String>,
}

pub(crate) fn sources<'a>(
    kb: &Kb,
    citations: impl IntoIterator<Item = &'a str>,
) -> Vec<SourceView> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for citation in citations {
        if seen.contains(&citation) {
            continue;
        }
        seen.push(citation);
        let source = kb.source(citation);
        out.push(SourceView {
            citation: citation.to_string(),
            title: source.map(|s| s.title.clone()),
            publisher: source.map(|s| s.publisher.clone()),
            year: source.map(|s| s.year),
            url: source.and_then(|s| s.url.clone()),
        });
    }
    out
}

pub(crate) fn title_of(kb: &Kb, id: &str) -> String {
    kb.get(id)
        .map(|m| m.title().to_string())
        .unwrap_or_else(|| id.to_string())
}

/// Names for the type-ahead lists: titles and brands of every monograph of `kind`.
pub(crate) fn names_of(kb: &Kb, kind: Kind) -> Vec<String> {
    let mut names: Vec<String> = kb
        .monographs()
        .iter()
        .filter(|m| m.kind() == kind)
        .flat_map(|m| std::iter::once(m.title().to_string()).chain(m.brands().iter().cloned()))
        .collect();
    names.sort_by_key(|n| n.to_lowercase());
    names.dedup();
    names
}

/// Section Markdown from `content/` (trusted, reviewed) to HTML.
fn markdown(text: &str) -> Value {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(text));
    Value::from_safe_string(out)
}

async fn home(State(state): State<AppState>) -> PageResult {
    let kb = &state.kb;
    let groups: Vec<Value> = [
        (Kind::Drug, "Drugs"),
        (Kind::Condition, "Conditions"),
        (Kind::Combination, "Combinations"),
        (Kind::Class, "Drug classes"),
        (Kind::Procedure, "Procedures"),
    ]
    .iter()
    .map(|(kind, title)| {
        let mut items: Vec<&Monograph> = kb
            .monographs()
            .iter()
            .filter(|m| m.kind() == *kind)
            .collect();
        items.sort_by_key(|m| m.title().to_lowercase());
        let items: Vec<Value> = items
            .iter()
            .map(|m| context! { title => m.title(), href => href_of(m.kind(), m.id()) })
            .collect();
        context! { title => title, items => items }
    })
    .collect();
    render("home.html", context! { groups => groups })
}

/// A monograph page; resolving the name is CPU work, done in the compute pool.
async fn monograph_page(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let work = state.work.clone();
    work.compute(move || monograph(&state, &id)).await?
}

fn monograph(state: &AppState, id: &str) -> PageResult {
    let kb = &state.kb;
    let found = kb
        .resolve(id)
        .map_err(|e| ErrorPage::unknown(StatusCode::NOT_FOUND, &e))?;
    let m = kb.get(&found.id).ok_or_else(|| {
        ErrorPage::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("unknown name `{id}`"),
        )
    })?;
    let front = &m.front;
    let names = front.names.as_ref();
    let mut synonyms: Vec<&str> = names
        .map(|n| n.synonyms.iter().map(String::as_str).collect())
        .unwrap_or_default();
    synonyms.extend(front.synonyms.iter().map(String::as_str));
    let sections: Vec<Value> = m
        .sections
        .iter()
        .map(|s| context! { id => s.id, title => s.title, html => markdown(&s.text) })
        .collect();
    let toc: Vec<Value> = m
        .sections
        .iter()
        .map(|s| context! { id => s.id, title => s.title })
        .collect();
    let classes: Vec<&str> = front.classes.iter().map(|c| c.value.as_str()).collect();
    let view = context! {
        title => m.title(),
        kind => m.kind().to_string(),
        description => front.description,
        generic => names.map(|n| n.generic.clone()),
        brands => m.brands(),
        synonyms => synonyms,
        classes => classes,
        toc => toc,
        sections => sections,
        faqs => m.faqs(),
    };
    let cites = sources(kb, front.sources.iter().map(|s| s.value.as_str()));
    render("monograph.html", context! { m => view, sources => cites })
}

fn search(state: &AppState, p: &Params) -> PageResult {
    let q = p.text("q");
    let results: Vec<Value> = if q.is_empty() {
        Vec::new()
    } else {
        state
            .kb
            .search(&q, 20)
            .into_iter()
            .map(|h| {
                context! {
                    title => h.title,
                    kind => h.kind.to_string(),
                    href => href_of(h.kind, &h.id),
                    snippet => h.snippet,
                    section => h.section,
                }
            })
            .collect()
    };
    render("search.html", context! { q => q, results => results })
}

fn compare(state: &AppState, p: &Params) -> PageResult {
    let kb = &state.kb;
    let drugs = p.text("drugs");
    if drugs.is_empty() {
        return render("compare.html", context! {});
    }
    let names = drugs
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<painrx_app::values::Name>, _>>()
        .map_err(ErrorPage::invalid)?;
    let table = state.app.compare(&names)?;
    let cites = sources(
        kb,
        table
            .rows
            .iter()
            .flat_map(|r| r.sources.iter().map(|s| s.as_str())),
    );
    render(
        "compare.html",
        context! { drugs => drugs, table => table, sources => cites },
    )
}

fn check(state: &AppState, p: &Params) -> PageResult {
    let kb = &state.kb;
    let entered = p.all("med");
    let mut boxes: Vec<&str> = entered.clone();
    boxes.resize(entered.len().max(3) + 2, "");
    let base = context! {
        meds => boxes,
        age => p.text("age"),
        sex => p.text("sex"),
        condition => p.text("condition"),
        allergy => p.text("allergy"),
        pregnant => p.flag("pregnant"),
        breastfeeding => p.flag("breastfeeding"),
        drug_names => names_of(kb, Kind::Drug),
        condition_names => names_of(kb, Kind::Condition),
    };
    if entered.is_empty() {
        return render("check.html", base);
    }
    let request: painrx_app::CheckRequest = form(
        p,
        &[
            ("med", "medications"),
            ("condition", "conditions"),
            ("allergy", "allergies"),
        ],
        &[],
    )?;
    let screening = state.app.check(&request)?.screening;
    let understood: Vec<String> = state
        .app
        .understand(&painrx_app::resolve::ResolveRequest {
            texts: request.medications.clone(),
        })?
        .results
        .iter()
        .map(|r| {
            let names: Vec<&str> = r.substances.iter().map(|s| s.name.as_str()).collect();
            let covered = if r.covered_by.is_empty() {
                "not screened: no rules cover it".to_string()
            } else {
                format!("screened by {}", r.covered_by.join(", "))
            };
            format!("understood as {} ({covered})", names.join(" + "))
        })
        .collect();
    let cites = sources(
        kb,
        screening
            .findings
            .iter()
            .flat_map(|f| f.sources.iter().map(|s| s.as_str())),
    );
    let findings: Vec<Value> = screening
        .findings
        .iter()
        .map(|f| {
            let drugs: Vec<String> = f.drugs.iter().map(|d| title_of(kb, d)).collect();
            context! {
                severity => Value::from_serialize(f.severity),
                kind => Value::from_serialize(f.kind),
                drugs => drugs,
                summary => f.summary.as_ref(),
                explanation => f.explanation,
                management => f.management.as_ref(),
                sources => f.sources.as_ref(),
            }
        })
        .collect();
    render(
        "check.html",
        context! {
            screened => true,
            findings => findings,
            unscreened => screening.unscreened,
            understood => understood,
            sources => cites,
            ..base
        },
    )
}

fn renal(state: &AppState, p: &Params) -> PageResult {
    let kb = &state.kb;
    let form_values = context! {
        age => p.text("age"),
        sex => p.text("sex"),
        weight_kg => p.text("weight_kg"),
        scr => p.text("scr"),
        scr_unit => p.text("scr_unit"),
        drug => p.text("drug"),
    };
    let base = context! { f => form_values, drug_names => names_of(kb, Kind::Drug) };
    if p.get("scr").is_none() && p.get("age").is_none() {
        return render("renal.html", base);
    }
    let request: painrx_app::RenalRequest = form(p, &[], &["drug"])?;
    let result = state.app.renal(&request)?;
    let range_href = format!(
        "/dose-range?drug={}&crcl={}",
        encode(&p.text("drug")),
        result.crcl_ml_min
    );
    let cites = sources(kb, result.sources.iter().map(|s| s.as_str()));
    render(
        "renal.html",
        context! { result => result, range_href => range_href, sources => cites, ..base },
    )
}

fn dose_range(state: &AppState, p: &Params) -> PageResult {
    let kb = &state.kb;
    let form_values = context! {
        drug => p.text("drug"),
        indication => p.text("indication"),
        crcl => p.text("crcl"),
        hemodialysis => p.flag("hemodialysis"),
        dose => p.text("dose"),
    };
    let base = context! { f => form_values, drug_names => names_of(kb, Kind::Drug) };
    if p.get("drug").is_none() {
        return render("dose_range.html", base);
    }
    let request: painrx_app::DoseRangeRequest = form(p, &[], &["dose"])?;
    let range = state.app.dose_range(&request)?;
    let titrate_href = range.indication.as_ref().map(|i| {
        let mut href = format!(
            "/plan/titrate?drug={}&indication={}",
            encode(&range.drug),
            encode(i)
        );
        if let Some(c) = request.kidneys.crcl {
            href.push_str(&format!("&crcl={c}"));
        }
        href
    });
    // A written dose, if given, checked against the same label facts.
    let check = match p.get("dose") {
        None => None,
        Some(_) => {
            let request: painrx_app::DoseCheckRequest = form(p, &[], &[])?;
            Some(state.app.dose_check(&request)?)
        }
    };
    let mut cited: Vec<painrx_kb::id::SourceId> = range.sources.clone();
    if let Some(c) = &check {
        cited.extend(c.sources.iter().cloned());
    }
    cited.sort();
    cited.dedup();
    let cites = sources(kb, cited.iter().map(|s| s.as_str()));
    render(
        "dose_range.html",
        context! {
            title => title_of(kb, &range.drug),
            check => check,
            range => range,
            titrate_href => titrate_href,
            sources => cites,
            ..base
        },
    )
}

/// A plan (titration, taper or switch) with what the pages around it say.
struct PlanPage {
    title: String,
    subtitle: String,
    /// The drug a dose without its own drug is of.
    drug: painrx_kb::id::MonographId,
    steps: Vec<painrx_engine::schedule::Step>,
    dispense: Vec<painrx_engine::units::Unit>,
    warnings: Vec<String>,
    notes: Vec<String>,
    sources: Vec<painrx_kb::id::SourceId>,
}

impl PlanPage {
    fn of<P: painrx_app::plan::Steps>(s: painrx_app::plan::Schedule<P>) -> PlanPage {
        PlanPage {
            steps: s.plan.steps().to_vec(),
            dispense: s.plan.dispense().to_vec(),
            warnings: s.plan.warnings().to_vec(),
            notes: s.plan.notes().to_vec(),
            sources: s.plan.sources().to_vec(),
            title: s.title,
            subtitle: s.subtitle,
            drug: s.drug,
        }
    }
}

/// The plan pages' own field: the calendar's first day.
const PLAN_PAGE_ONLY: &[&str] = &["start"];

fn titrate_plan(app: &painrx_app::App, p: &Params) -> Result<PlanPage, ErrorPage> {
    let request: painrx_app::TitrateRequest = form(p, &[], PLAN_PAGE_ONLY)?;
    Ok(PlanPage::of(app.titrate(&request)?))
}

fn taper_plan(app: &painrx_app::App, p: &Params) -> Result<PlanPage, ErrorPage> {
    let request: painrx_app::TaperRequest = form(p, &[], PLAN_PAGE_ONLY)?;
    Ok(PlanPage::of(app.taper(&request)?))
}

fn switch_plan(app: &painrx_app::App, p: &Params) -> Result<PlanPage, ErrorPage> {
    let request: painrx_app::SwitchRequest = form(p, &[], PLAN_PAGE_ONLY)?;
    Ok(PlanPage::of(app.switch(&request)?))
}

type Planner = fn(&painrx_app::App, &Params) -> Result<PlanPage, ErrorPage>;

fn plan_page(app: &painrx_app::App, p: &Params, mode: &str, planner: Planner) -> PageResult {
    let kb = app.kb();
    let form = context! {
        drug => p.text("drug"),
        indication => p.text("indication"),
        crcl => p.text("crcl"),
        age => p.text("age"),
        start => p.text("start"),
        from => p.text("from"),
        speed => p.text("speed"),
        via => p.text("via"),
        to => p.text("to"),
    };
    let heading = match mode {
        "titrate" => "Titration plan",
        "switch" => "Switch plan",
        _ => "Taper plan",
    };
    let base = context! {
        mode => mode,
        heading => heading,
        f => form,
        drug_names => names_of(kb, Kind::Drug),
    };
    if p.get("drug").is_none() {
        return render("plan.html", base);
    }
    let page = planner(app, p)?;
    let query = p.query_string();
    let steps: Vec<Value> = page
        .steps
        .iter()
        .map(|s| {
            let days = painrx_render::days_label(s.start_day, s.end_day);
            let doses: Vec<String> = s
                .doses
                .iter()
                .map(|d| {
                    let of = d
                        .drug
                        .as_deref()
                        .filter(|drug| *drug != page.drug.as_str())
                        .map(|drug| format!(" {}", title_of(kb, drug).to_lowercase()))
                        .unwrap_or_default();
                    format!(
                        "{} — {} mg{of} ({})",
                        d.time,
                        format_number(d.mg),
                        painrx_render::ics::units_text(&d.units)
                    )
                })
                .collect();
            context! {
                days => days,
                daily => format_number(s.daily_mg),
                doses => doses,
                rule => s.rule,
                source => s.source,
            }
        })
        .collect();
    let dispense = painrx_render::ics::units_text(&page.dispense);
    let cites = sources(kb, page.sources.iter().map(|s| s.as_str()));
    render(
        "plan.html",
        context! {
            plan => context! { warnings => page.warnings, notes => page.notes },
            title => page.title,
            subtitle => page.subtitle,
            steps => steps,
            dispense => dispense,
            ics_href => format!("/plan/{mode}.ics?{query}"),
            print_href => format!("/plan/{mode}/print?{query}"),
            sources => cites,
            ..base
        },
    )
}

fn plan_ics(app: &painrx_app::App, p: &Params, planner: Planner) -> PageResult {
    let kb = app.kb();
    let page = planner(app, p)?;
    let start = p.date("start").map_err(ErrorPage::invalid)?;
    let start = painrx_render::start_date(start).map_err(ErrorPage::invalid)?;
    let name_of = |id: &painrx_kb::id::MonographId| title_of(kb, id);
    let calendar =
        painrx_render::ics::calendar(&page.title, &page.drug, &page.steps, start, &name_of);
    let filename = format!(
        "attachment; filename=\"painrx-{}.ics\"",
        page.title
            .to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    let disposition = header_value(&filename)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        calendar.to_string(),
    )
        .into_response())
}

fn plan_print(app: &painrx_app::App, p: &Params, planner: Planner) -> PageResult {
    let kb = app.kb();
    let page = planner(app, p)?;
    let start = p.date("start").map_err(ErrorPage::invalid)?;
    let start = painrx_render::start_date(start).map_err(ErrorPage::invalid)?;
    let name_of = |id: &painrx_kb::id::MonographId| title_of(kb, id);
    let cites: Vec<String> = sources(kb, page.sources.iter().map(|s| s.as_str()))
        .into_iter()
        .map(|s| match (s.title, s.publisher, s.year) {
            (Some(t), Some(p), Some(y)) => format!("[{}] {t} ({p}, {y})", s.citation),
            _ => format!("[{}]", s.citation),
        })
        .collect();
    let view = painrx_render::html::Page {
        title: &page.title,
        subtitle: &page.subtitle,
        default_drug: &page.drug,
        warnings: &page.warnings,
        sources: &cites,
    };
    let body = painrx_render::html::schedule(&view, &page.steps, start, &name_of)
        .map_err(ErrorPage::invalid)?;
    let mut response = html(StatusCode::OK, body);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PRINT_CSP),
    );
    Ok(response)
}

fn titrate_page(state: &AppState, p: &Params) -> PageResult {
    plan_page(&state.app, p, "titrate", titrate_plan)
}

fn titrate_ics(state: &AppState, p: &Params) -> PageResult {
    plan_ics(&state.app, p, titrate_plan)
}

fn titrate_print(state: &AppState, p: &Params) -> PageResult {
    plan_print(&state.app, p, titrate_plan)
}

fn taper_page(state: &AppState, p: &Params) -> PageResult {
    plan_page(&state.app, p, "taper", taper_plan)
}

fn taper_ics(state: &AppState, p: &Params) -> PageResult {
    plan_ics(&state.app, p, taper_plan)
}

fn taper_print(state: &AppState, p: &Params) -> PageResult {
    plan_print(&state.app, p, taper_plan)
}

fn switch_page(state: &AppState, p: &Params) -> PageResult {
    plan_page(&state.app, p, "switch", switch_plan)
}

fn switch_ics(state: &AppState, p: &Params) -> PageResult {
    plan_ics(&state.app, p, switch_plan)
}

fn switch_print(state: &AppState, p: &Params) -> PageResult {
    plan_print(&state.app, p, switch_plan)
}

/// Benzodiazepine (diazepam equivalents) and opioid (MME) conversions.
fn equiv(state: &AppState, p: &Params) -> PageResult {
    let kb = &state.kb;
    let form_values = context! {
        drug => p.text("drug"),
        dose => p.text("dose"),
        to => p.text("to"),
        table => p.text("table"),
    };
    let base = context! { f => form_values, drug_names => names_of(kb, Kind::Drug) };
    if p.get("drug").is_none() && p.get("dose").is_none() {
        return render("equiv.html", base);
    }
    let request: painrx_app::EquivRequest = form(p, &[], &[])?;
    let result = state.app.equiv(&request)?;
    let cites = sources(kb, result.sources.iter().map(|s| s.as_str()));
    render(
        "equiv.html",
        context! {
            from_title => title_of(kb, &result.from.drug),
            to_title => title_of(kb, &result.to.drug),
            from_mg => format_number(result.from.mg),
            to_mg => format_number(result.to.mg),
            result => result,
            sources => cites,
            ..base
        },
    )
}

fn acr2016(state: &AppState, p: &Params) -> PageResult {
    use painrx_engine::assess::Area;
    let checked = p.all("area");
    let areas: Vec<Value> = Area::ALL
        .iter()
        .map(|a| {
            context! {
                id => a.id(),
                label => a.id().replace('-', " "),
                checked => checked.contains(&a.id()),
            }
        })
        .collect();
    let scores: Vec<Value> = [
        ("fatigue", "Fatigue"),
        ("unrefreshed", "Waking unrefreshed"),
        ("cognitive", "Cognitive symptoms"),
    ]
    .iter()
    .map(|(id, label)| {
        let value = p.get(id).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        context! { id => id, label => label, value => value }
    })
    .collect();
    let somatic: Vec<Value> = [
        ("headaches", "Headaches"),
        ("abdominal", "Pain or cramps in the lower abdomen"),
        ("depression", "Depression"),
    ]
    .iter()
    .map(|(id, label)| context! { id => id, label => label, checked => p.flag(id) })
    .collect();
    let base = context! {
        areas => areas,
        scores => scores,
        somatic => somatic,
        months => p.text("months"),
    };
    if p.get("months").is_none() {
        return render("acr.html", base);
    }
    // The form's ticked areas are the request's one `pain_areas` list.
    let mut fields: Vec<(String, String)> =
        p.0.iter().filter(|(k, _)| k != "area").cloned().collect();
    fields.push(("pain_areas".into(), checked.join(",")));
    let request: painrx_app::AcrRequest = form(&Params(fields), &[], &[])?;
    let result = state.app.acr(&request)?;
    let cites = sources(&state.kb, result.sources.iter().map(|s| s.as_str()));
    render(
        "acr.html",
        context! { result => result, sources => cites, ..base },
    )
}

fn fiqr(state: &AppState, p: &Params) -> PageResult {
    let keys: Vec<String> = (1..=21).map(|i| format!("q{i}")).collect();
    let answers: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let part = match i {
                0..=8 => "function",
                9..=10 => "overall impact",
                _ => "symptoms",
            };
            context! { label => format!("Question {} ({part}), 0–10", i + 1), value => p.text(k) }
        })
        .collect();
    let base = context! { answers => answers };
    if keys.iter().all(|k| p.get(k).is_none()) {
        return render("fiqr.html", base);
    }
    // The form's 21 boxes are the request's one `answers` list, in order.
    let joined: Vec<&str> = keys.iter().map(|k| p.get(k).unwrap_or("")).collect();
    let request = painrx_app::FiqrRequest {
        answers: joined.join(","),
    };
    let result = state.app.fiqr(&request)?;
    let cites = sources(&state.kb, result.sources.iter().map(|s| s.as_str()));
    render(
        "fiqr.html",
        context! { result => result, sources => cites, ..base },
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, ASSET_CACHE),
        ],
        body,
    )
        .into_response()
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../static/app.css"))
}

async fn app_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../static/app.js"),
    )
}
