//! The OpenAPI 3.1 document served at `/api/v1/openapi.json`, built with utoipa: request body
//! schemas are derived from the request types themselves (`#[derive(ToSchema)]`), operations
//! come from [`ENDPOINTS`] and [`DIARY`] (listed once, mounted on both diary trees), the one list
//! of the API's routes ([`endpoints`]; a test calls every entry against the router, so the
//! document cannot list a route the server does not answer).

use std::sync::OnceLock;

use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi, OpenApiBuilder,
    PathsBuilder, Ref, Required, ResponseBuilder, ResponsesBuilder,
};
use utoipa::ToSchema;

/// What a request body is.
#[derive(Clone, Copy, Debug)]
pub enum Body {
    None,
    /// A JSON body with this schema (a component name).
    Json(&'static str),
    /// A JSON body described in words (engine and store types, documented in README).
    JsonObject(&'static str),
    /// Plain text (CSV or a FHIR Bundle).
    Text,
}

/// One operation of the API.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub body: Body,
    /// Query parameters (name, required, description).
    pub query: &'static [(&'static str, bool, &'static str)],
    /// Needs `Authorization: Bearer`.
    pub auth: bool,
    pub status: u16,
}

const fn open(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    body: Body,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        body,
        query: &[],
        auth: false,
        status: 200,
    }
}

const fn private(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    body: Body,
    status: u16,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        body,
        query: &[],
        auth: true,
        status,
    }
}

const RANGE: &[(&str, bool, &str)] = &[
    ("from", false, "first date, YYYY-MM-DD"),
    ("to", false, "last date, YYYY-MM-DD"),
];
const PAGE: &[(&str, bool, &str)] = &[
    ("from", false, "first date, YYYY-MM-DD"),
    ("to", false, "last date, YYYY-MM-DD"),
    (
        "limit",
        false,
        "at most this many entries (0–1000, default 100)",
    ),
    ("offset", false, "skip this many"),
];
const FORMAT: &[(&str, bool, &str)] = &[("format", false, "csv (default) or fhir")];

/// The routes of the JSON API outside the diary trees.
pub const ENDPOINTS: &[Endpoint] = &[
    open("get", "/healthz", "Liveness", Body::None),
    open(
        "get",
        "/readyz",
        "Readiness: the database answers",
        Body::None,
    ),
    open("get", "/api/v1/openapi.json", "This document", Body::None),
    Endpoint {
        query: &[(
            "section",
            false,
            "one section: dosage, adults, side-effects, faqs, …",
        )],
        ..open(
            "get",
            "/api/v1/drugs/{name}",
            "A monograph by generic, brand, synonym or misspelt name (`painrx drug show --json`)",
            Body::None,
        )
    },
    Endpoint {
        query: &[
            ("q", true, "words to search for"),
            ("limit", false, "at most this many results (default 10)"),
        ],
        ..open(
            "get",
            "/api/v1/search",
            "Ranked full-text search (`painrx search --json`)",
            Body::None,
        )
    },
    Endpoint {
        query: &[("drugs", true, "comma-separated drug names")],
        ..open(
            "get",
            "/api/v1/compare",
            "Side-by-side comparison (`painrx compare --json`)",
            Body::None,
        )
    },
    open(
        "get",
        "/api/v1/kb/check",
        "Validate the content the server runs on (`painrx kb check --json`)",
        Body::None,
    ),
    open(
        "post",
        "/api/v1/kb/import-page",
        "A seed-format page → {text, report} (`painrx kb import-page --json`)",
        Body::Text,
    ),
    open(
        "post",
        "/api/v1/check",
        "Safety screening of a medication list (`painrx check --json`)",
        Body::Json("CheckRequest"),
    ),
    open(
        "post",
        "/api/v1/renal",
        "Cockcroft–Gault CrCl and CKD-EPI 2021 eGFR (`painrx renal --json`)",
        Body::Json("RenalRequest"),
    ),
    open(
        "post",
        "/api/v1/dose/range",
        "Daily dose range for these kidneys (`painrx dose range --json`)",
        Body::Json("RangeRequest"),
    ),
    open(
        "post",
        "/api/v1/dose/check",
        "A written dose against the label (`painrx dose check --json`)",
        Body::Json("DoseCheckRequest"),
    ),
    open(
        "post",
        "/api/v1/titrate",
        "Titration schedule (`painrx titrate --json`)",
        Body::Json("TitrateRequest"),
    ),
    open(
        "post",
        "/api/v1/taper",
        "Taper schedule (`painrx taper --json`)",
        Body::Json("TaperRequest"),
    ),
    open(
        "post",
        "/api/v1/switch",
        "Switch schedule (`painrx switch --json`)",
        Body::Json("SwitchRequest"),
    ),
    open(
        "post",
        "/api/v1/equiv",
        "Benzodiazepine and opioid equivalents (`painrx equiv --json`)",
        Body::Json("EquivRequest"),
    ),
    open(
        "post",
        "/api/v1/assess/acr2016",
        "ACR 2016 fibromyalgia criteria (`painrx assess acr2016 --json`)",
        Body::Json("AcrRequest"),
    ),
    open(
        "post",
        "/api/v1/assess/fiqr",
        "FIQR score (`painrx assess fiqr --json`)",
        Body::Json("FiqrRequest"),
    ),
    Endpoint {
        status: 201,
        ..open(
            "post",
            "/api/v1/auth/register",
            "Create an account → {id, email, role}",
            Body::Json("Register"),
        )
    },
    open(
        "post",
        "/api/v1/auth/login",
        "Log in → {token} (429 after 5 failures in 15 minutes)",
        Body::Json("Login"),
    ),
    private(
        "post",
        "/api/v1/auth/logout",
        "Forget this token",
        Body::None,
        204,
    ),
    private(
        "get",
        "/api/v1/me",
        "Who am I → {id, email, role}",
        Body::None,
        200,
    ),
    private(
        "get",
        "/api/v1/links",
        "A patient's linked clinicians",
        Body::None,
        200,
    ),
    private(
        "post",
        "/api/v1/links",
        "A patient links a clinician by email",
        Body::Json("NewLink"),
        201,
    ),
    private(
        "get",
        "/api/v1/patients",
        "A clinician's linked patients",
        Body::None,
        200,
    ),
    private(
        "get",
        "/api/v1/users",
        "Every account (admin)",
        Body::None,
        200,
    ),
    private(
        "post",
        "/api/v1/users/{user_id}/password",
        "An admin sets a new password; the account's tokens and sessions end",
        Body::Json("NewPassword"),
        204,
    ),
];
/// The operations of one diary, relative to its tree: mounted at `/api/v1` (the caller's own
/// diary) and at `/api/v1/patients/{patient_id}` (a linked patient's), as `diary_api` mounts
/// them.
pub const DIARY: &[Endpoint] = &[
    Endpoint { query: PAGE, ..private("get", "/diary/entries", "Diary entries (`painrx diary list --json`)", Body::None, 200) },
    private("post", "/diary/entries", "Add an entry (`painrx diary add --json`)", Body::JsonObject("a diary entry: {date, time?, pain, fatigue?, sleep?, stiffness?, fog?, mood?, anxiety?, areas?, doses?, side_effects?, note?}"), 201),
    private("get", "/diary/entries/{id}", "One entry", Body::None, 200),
    private("patch", "/diary/entries/{id}", "Edit an entry: {version, …fields to change} (`painrx diary edit --json`); 409 if the version is stale", Body::JsonObject("{version, …entry fields}"), 200),
    private("get", "/diary/entries/{id}/history", "Every version of an entry", Body::None, 200),
    Endpoint { query: RANGE, ..private("get", "/diary/report", "Diary analysis (`painrx diary report --json`)", Body::None, 200) },
    Endpoint { query: FORMAT, ..private("get", "/diary/export", "Export as CSV or a FHIR R4 Bundle (`painrx diary export`)", Body::None, 200) },
    Endpoint { query: FORMAT, ..private("post", "/diary/import", "Import CSV or a FHIR R4 Bundle, all or nothing (`painrx diary import --json`)", Body::Text, 201) },
    private("get", "/diary/courses", "Treatment courses with their sessions (`painrx diary course-list --json`)", Body::None, 200),
    private("post", "/diary/courses", "Start a course (`painrx diary course-add --json`)", Body::JsonObject("{kind: titration|taper|switch|infusion, drug, started, plan?, note?}"), 201),
    private("get", "/diary/courses/{course_id}/sessions", "Infusion sessions of a course", Body::None, 200),
    private("post", "/diary/courses/{course_id}/sessions", "Record an infusion session (`painrx diary session --json`)", Body::JsonObject("{date, start_time, infusion_minutes, observation_minutes, escort_confirmed, screening?, adverse_effects?, pain_before?, pain_after?, note?}"), 201),
];

/// Where the diary operations are mounted, with what the summary says of each tree.
pub const DIARY_TREES: [(&str, &str); 2] = [
    ("/api/v1", ""),
    ("/api/v1/patients/{patient_id}", " — of a linked patient"),
];

/// A route of the API as documented: its full path and summary.
#[derive(Clone, Debug)]
pub struct Route {
    pub path: String,
    pub summary: String,
    pub endpoint: Endpoint,
}

/// Every route of the API, the diary operations once per tree.
pub fn endpoints() -> Vec<Route> {
    let mut all: Vec<Route> = ENDPOINTS
        .iter()
        .map(|e| Route {
            path: e.path.to_string(),
            summary: e.summary.to_string(),
            endpoint: *e,
        })
        .collect();
    for (prefix, of) in DIARY_TREES {
        all.extend(DIARY.iter().map(|e| Route {
            path: format!("{prefix}{}", e.path),
            summary: format!("{}{of}", e.summary),
            endpoint: *e,
        }));
    }
    all
}

fn method_of(name: &str) -> HttpMethod {
    match name {
        "post" => HttpMethod::Post,
        "patch" => HttpMethod::Patch,
        "put" => HttpMethod::Put,
        "delete" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

fn json_object(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    ObjectBuilder::new().description(Some(description)).into()
}

fn operation(path: &str, e: &Endpoint, summary: String) -> utoipa::openapi::path::Operation {
    let mut op = OperationBuilder::new()
        .summary(Some(summary))
        .operation_id(Some(format!(
            "{}{}",
            e.method,
            path.replace(['/', '{', '}', '.'], "_")
        )));
    for name in path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    {
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(json_object("a path segment"))),
        );
    }
    for (name, required, description) in e.query {
        op = op.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Query)
                .required(if *required {
                    Required::True
                } else {
                    Required::False
                })
                .description(Some(*description)),
        );
    }
    let body = match e.body {
        Body::None => None,
        Body::Json(schema) => Some(("application/json", Ref::from_schema_name(schema).into())),
        Body::JsonObject(description) => Some(("application/json", json_object(description))),
        Body::Text => Some((
            "text/plain",
            json_object("CSV text or a FHIR R4 Bundle (JSON)"),
        )),
    };
    if let Some((content_type, schema)) = body {
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    content_type,
                    ContentBuilder::new().schema(Some(schema)).build(),
                )
                .required(Some(Required::True))
                .build(),
        ));
    }
    let problem = || {
        ResponseBuilder::new()
            .description("RFC 9457 problem: {type, title, status, detail}")
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    let mut responses = ResponsesBuilder::new()
        .response(
            e.status.to_string(),
            ResponseBuilder::new()
                .description("the same JSON the CLI prints")
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(json_object("see the summary")))
                        .build(),
                )
                .build(),
        )
        .response("4XX", problem());
    if e.auth {
        responses = responses
            .response("401", problem())
            .response("403", problem());
        op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
    }
    op.responses(responses.build()).build()
}

/// The problem body, for the schema list.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Problem {
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
}

/// The document, built once.
pub fn document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut paths = PathsBuilder::new();
        for r in endpoints() {
            let op = operation(&r.path, &r.endpoint, r.summary);
            paths = paths.path(r.path, PathItem::new(method_of(r.endpoint.method), op));
        }
        let components = ComponentsBuilder::new()
            .schema_from::<painrx_app::CheckRequest>()
            .schema_from::<painrx_app::RenalRequest>()
            .schema_from::<painrx_app::DoseRangeRequest>()
            .schema_from::<painrx_app::DoseCheckRequest>()
            .schema_from::<painrx_app::TitrateRequest>()
            .schema_from::<painrx_app::TaperRequest>()
            .schema_from::<painrx_app::SwitchRequest>()
            .schema_from::<painrx_app::EquivRequest>()
            .schema_from::<painrx_app::AcrRequest>()
            .schema_from::<painrx_app::FiqrRequest>()
            .schema_from::<painrx_app::KidneyInput>()
            .schema_from::<crate::auth::Register>()
            .schema_from::<crate::auth::Login>()
            .schema_from::<crate::diary_api::NewLink>()
            .schema_from::<crate::diary_api::NewPassword>()
            .schema_from::<Problem>()
            .security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            )
            .build();
        OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title("painrx")
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(
                        "Prescribing support for neuropathic pain and fibromyalgia. Every answer \
                         is the JSON the painrx CLI prints. Not a substitute for clinical judgement.",
                    ))
                    .build(),
            )
            .paths(paths.build())
            .components(Some(components))
            .build()
    })
}

pub async fn serve() -> axum::response::Response {
    use axum::response::IntoResponse;
    axum::Json(document()).into_response()
}
