//! The OpenAPI 3.1 document served at `/api/v1/openapi.json`, derived from the handlers: every
//! API handler carries `#[utoipa::path(…)]` (method, path, query parameters, request body,
//! success response, bearer security; its summary is the first line of its doc comment) and is
//! mounted with `utoipa_axum::routes!` in an `OpenApiRouter`, so a route and its documentation
//! are one declaration. Request schemas derive from the request types (`#[derive(ToSchema)]`).
//! [`finish`] adds what every operation shares: an id made of its method and path, and the
//! problem+json responses (4XX always; 401 and 403 where a bearer token is required).
//!
//! A test calls every operation of [`document`] ([`endpoints`]) against the router, and checks
//! that the operations needing a token are exactly those that answer 401 without one.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi, OpenApiBuilder, Ref,
    RefOr, Response, ResponseBuilder, Schema, Type,
};
use utoipa::{IntoResponses, PartialSchema, ToSchema};

/// The name of the security scheme of the signed routes (`security(("bearer" = []))`).
pub(crate) const BEARER: &str = "bearer";

/// The document before any route: what it is, the problem body, the bearer scheme.
pub(crate) fn base() -> OpenApi {
    let components = ComponentsBuilder::new()
        .schema_from::<Problem>()
        .security_scheme(
            BEARER,
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
        .components(Some(components))
        .build()
}

/// The operations of a document with their method: `(method, operation)`.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("options", item.options.as_mut()),
        ("head", item.head.as_mut()),
        ("patch", item.patch.as_mut()),
        ("trace", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.map(|op| (method, op)))
}

/// Whether an operation requires a bearer token (`security(("bearer" = []))`).
fn signed(op: &Operation) -> bool {
    // `SecurityRequirement` keeps its schemes private; its JSON is `{"bearer": []}`.
    serde_json::to_value(&op.security).is_ok_and(|all| {
        all.as_array()
            .is_some_and(|all| all.iter().any(|r| r.get(BEARER).is_some()))
    })
}

fn problem() -> Response {
    ResponseBuilder::new()
        .description("RFC 9457 problem: {type, title, status, detail}")
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// What every operation shares: an id from its method and path (unique even where one handler
/// serves two trees), and its problem+json answers.
pub(crate) fn finish(mut api: OpenApi) -> OpenApi {
    for (path, item) in api.paths.paths.iter_mut() {
        for (method, op) in operations_mut(item) {
            op.operation_id = Some(format!(
                "{method}{}",
                path.replace(['/', '{', '}', '.'], "_")
            ));
            let mut codes = vec!["4XX"];
            if signed(op) {
                codes.extend(["401", "403"]);
            }
            for code in codes {
                op.responses
                    .responses
                    .insert(code.to_string(), problem().into());
            }
        }
    }
    api
}

/// The operations of a diary tree mounted under `/api/v1/patients/{patient_id}`: the same
/// operations, of a linked patient.
pub(crate) fn of_linked_patient(mut api: OpenApi) -> OpenApi {
    for item in api.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            op.summary = op
                .summary
                .take()
                .map(|s| format!("{s} — of a linked patient"));
            let params = op.parameters.get_or_insert_with(Vec::new);
            params.insert(
                0,
                utoipa::openapi::path::ParameterBuilder::new()
                    .name("patient_id")
                    .parameter_in(utoipa::openapi::path::ParameterIn::Path)
                    .required(utoipa::openapi::Required::True)
                    .description(Some("the patient's diary id, `user-<id>`"))
                    .schema(Some(String::schema()))
                    .build(),
            );
        }
    }
    api
}

/// The document, built once from the API's router.
pub fn document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| finish(crate::api_router().into_openapi()))
}

/// This document
#[utoipa::path(get, path = "/api/v1/openapi.json", responses(Answer))]
pub async fn serve() -> axum::response::Response {
    use axum::response::IntoResponse;
    axum::Json(document()).into_response()
}

/// An operation of the document: its method (lower case), full path and whether it needs a
/// bearer token.
#[derive(Clone, Debug)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub auth: bool,
}

/// Every operation of the document (the diary's once per tree).
pub fn endpoints() -> Vec<Route> {
    let mut doc = document().clone();
    let mut all = Vec::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations_mut(item) {
            all.push(Route {
                method: method.to_string(),
                path: path.clone(),
                auth: signed(op),
            });
        }
    }
    all
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

// ---- what handlers answer and take, where no Rust type says it -----------------------------

fn one(status: &str, response: Response) -> BTreeMap<String, RefOr<Response>> {
    BTreeMap::from([(status.to_string(), response.into())])
}

fn json_answer() -> Response {
    ResponseBuilder::new()
        .description("the same JSON the CLI prints")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(object("see the summary")))
                .build(),
        )
        .build()
}

fn object(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new().description(Some(description)).into()
}

/// 200 with the JSON the CLI prints.
pub(crate) struct Answer;

impl IntoResponses for Answer {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        one("200", json_answer())
    }
}

/// 201 with the JSON the CLI prints of what was created.
pub(crate) struct Created;

impl IntoResponses for Created {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        one("201", json_answer())
    }
}

/// 204: done, nothing to say.
pub(crate) struct Done;

impl IntoResponses for Done {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        one("204", ResponseBuilder::new().description("done").build())
    }
}

/// 200 with `ok`.
pub(crate) struct Alive;

impl IntoResponses for Alive {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        one(
            "200",
            ResponseBuilder::new()
                .description("ok")
                .content(
                    "text/plain",
                    ContentBuilder::new().schema(Some(String::schema())).build(),
                )
                .build(),
        )
    }
}

/// 200 with the diary as `painrx diary export` writes it: CSV or a FHIR R4 Bundle.
pub(crate) struct Export;

impl IntoResponses for Export {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        one(
            "200",
            ResponseBuilder::new()
                .description("the diary as `painrx diary export` writes it")
                .content(
                    "text/csv",
                    ContentBuilder::new().schema(Some(String::schema())).build(),
                )
                .content(
                    "application/fhir+json",
                    ContentBuilder::new()
                        .schema(Some(object("a FHIR R4 Bundle of Observations")))
                        .build(),
                )
                .build(),
        )
    }
}

/// A request body that no Rust type of this crate describes (a type of painrx-engine or
/// painrx-store, whose fields README.md documents; or text), described in words.
macro_rules! described {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $description:literal) => {
        $(#[$doc])*
        pub(crate) struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::$kind)
                    .description(Some($description))
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

described!(
    /// A diary entry (`painrx_engine::diary::EntryData`).
    EntryBody,
    Object,
    "a diary entry: {date, time?, pain, fatigue?, sleep?, stiffness?, fog?, mood?, anxiety?, areas?, doses?, side_effects?, note?}"
);
described!(
    /// The fields of an entry to change, with the version being edited.
    EntryChanges,
    Object,
    "{version, …entry fields}"
);
described!(
    /// A treatment course (`painrx_store::NewCourse`).
    CourseBody,
    Object,
    "{kind: titration|taper|switch|infusion, drug, started, plan?, note?}"
);
described!(
    /// An infusion session (`painrx_store::NewSession`).
    SessionBody,
    Object,
    "{date, start_time, infusion_minutes, observation_minutes, escort_confirmed, screening?, adverse_effects?, pain_before?, pain_after?, note?}"
);
described!(
    /// A diary to import.
    DiaryText,
    String,
    "CSV text or a FHIR R4 Bundle (JSON)"
);
described!(
    /// A page of the seed site.
    PageText,
    String,
    "a page in the seed site's format, as text"
);
