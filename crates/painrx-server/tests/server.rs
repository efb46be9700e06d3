//! The API in memory: every endpoint answers, bad input gets problem+json with a 4xx.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use painrx_kb::Kb;
use painrx_server::{app, AppState, BODY_LIMIT};
use serde_json::{json, Value};
use tower::ServiceExt;

fn state() -> AppState {
    static KB: OnceLock<Arc<Kb>> = OnceLock::new();
    let kb = KB
        .get_or_init(|| Arc::new(Kb::embedded().unwrap_or_else(|e| panic!("{e}"))))
        .clone();
    AppState {
        kb,
        data_dir: std::env::temp_dir(),
    }
}

async fn call(
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, String, Value, Option<String>) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(
            body.map(|b| Body::from(b.to_string()))
                .unwrap_or_else(Body::empty),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app(state())
        .oneshot(request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, content_type, value, request_id)
}

#[tokio::test]
async fn every_endpoint_answers() {
    let cases: Vec<(&str, &str, Option<Value>, &str)> = vec![
        ("GET", "/healthz", None, ""),
        ("GET", "/readyz", None, "status"),
        ("GET", "/api/v1/drugs/Lyrica", None, "id"),
        (
            "GET",
            "/api/v1/drugs/pregabalin?section=adults",
            None,
            "section",
        ),
        (
            "GET",
            "/api/v1/search?q=Lyrica%20weight%20gain",
            None,
            "results",
        ),
        (
            "GET",
            "/api/v1/compare?drugs=gabapentin,pregabalin",
            None,
            "rows",
        ),
        (
            "POST",
            "/api/v1/check",
            Some(json!({"medications": ["Lyrica", "oxycodone 20 mg q6h"], "age": 72})),
            "findings",
        ),
        (
            "POST",
            "/api/v1/renal",
            Some(json!({"age": 60, "sex": "male", "weight_kg": 72, "scr": 1.0})),
            "crcl_ml_min",
        ),
        (
            "POST",
            "/api/v1/dose/range",
            Some(json!({"drug": "pregabalin", "indication": "fibromyalgia", "crcl": 45})),
            "max_daily_mg",
        ),
        (
            "POST",
            "/api/v1/dose/check",
            Some(json!({"drug": "pregabalin", "dose": "300 mg BID", "indication": "fibromyalgia"})),
            "ok",
        ),
        (
            "POST",
            "/api/v1/titrate",
            Some(json!({"drug": "gabapentin", "indication": "postherpetic-neuralgia"})),
            "steps",
        ),
        (
            "POST",
            "/api/v1/taper",
            Some(json!({"drug": "pregabalin", "from": "150 mg BID"})),
            "steps",
        ),
        (
            "POST",
            "/api/v1/switch",
            Some(json!({"drug": "gabapentin", "from": "600 mg TID", "to": "pregabalin"})),
            "target_daily_mg",
        ),
        (
            "POST",
            "/api/v1/equiv",
            Some(json!({"drug": "lorazepam", "dose": "2mg", "to": "diazepam"})),
            "to",
        ),
        (
            "POST",
            "/api/v1/assess/acr2016",
            Some(
                json!({"pain_areas": "neck,lower-back", "fatigue": 1, "unrefreshed": 1, "cognitive": 1, "months": 4}),
            ),
            "wpi",
        ),
        (
            "POST",
            "/api/v1/assess/fiqr",
            Some(json!({"answers": "1,2,3,4,5,6,7,8,9,5,5,4,4,4,4,4,4,4,4,4,4"})),
            "total",
        ),
    ];
    for (method, uri, body, key) in cases {
        let (status, _, value, request_id) = call(method, uri, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {uri}: {value}");
        assert!(request_id.is_some(), "{uri} has a request id");
        if !key.is_empty() {
            assert!(!value[key].is_null(), "{uri} answers `{key}`: {value}");
        }
    }
    let (_, _, value, _) = call(
        "POST",
        "/api/v1/check",
        Some(json!({"medications": ["Lyrica", "oxycodone 20 mg q6h"]})),
    )
    .await;
    assert_eq!(value["burden"]["mme_per_day"], 120.0);
    assert_eq!(value["findings"][0]["severity"], "major");
    let (_, _, value, _) = call(
        "POST",
        "/api/v1/dose/range",
        Some(json!({"drug": "pregabalin", "indication": "fibromyalgia", "crcl": 45})),
    )
    .await;
    assert_eq!(
        (
            value["min_daily_mg"].as_f64(),
            value["max_daily_mg"].as_f64()
        ),
        (Some(75.0), Some(225.0))
    );
}

#[tokio::test]
async fn bad_input_gets_problem_json_and_a_4xx() {
    let cases: Vec<(&str, &str, Option<Value>, u16)> = vec![
        ("GET", "/api/v1/drugs/pregablin", None, 404),
        ("GET", "/api/v1/nothing", None, 404),
        ("GET", "/api/v1/search?q=", None, 422),
        (
            "POST",
            "/api/v1/check",
            Some(json!({"medications": ["pregablin"]})),
            422,
        ),
        (
            "POST",
            "/api/v1/check",
            Some(json!({"medications": []})),
            422,
        ),
        (
            "POST",
            "/api/v1/check",
            Some(json!({"medication": ["pregabalin"]})),
            400,
        ),
        (
            "POST",
            "/api/v1/renal",
            Some(json!({"age": 17, "sex": "male", "weight_kg": 70, "scr": 1})),
            422,
        ),
        (
            "POST",
            "/api/v1/dose/check",
            Some(json!({"drug": "gabapentin", "dose": "300 mgg"})),
            422,
        ),
        (
            "POST",
            "/api/v1/titrate",
            Some(json!({"drug": "pregabalin", "indication": "fibromyalgia", "target": 900})),
            422,
        ),
        (
            "POST",
            "/api/v1/taper",
            Some(json!({"drug": "gabapentin", "from": "300 mg BIDD"})),
            422,
        ),
        (
            "POST",
            "/api/v1/assess/fiqr",
            Some(json!({"answers": "1,2"})),
            422,
        ),
    ];
    for (method, uri, body, want) in cases {
        let (status, content_type, value, _) = call(method, uri, body).await;
        assert_eq!(status.as_u16(), want, "{method} {uri}: {value}");
        assert_eq!(content_type, "application/problem+json", "{uri}");
        assert!(
            value["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{uri}: {value}"
        );
        assert_eq!(value["status"], want);
    }
    // Not JSON at all, and a body over the limit.
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/check")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app(state())
        .oneshot(request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let huge = format!("{{\"medications\":[\"{}\"]}}", "x".repeat(BODY_LIMIT + 10));
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/check")
        .header("content-type", "application/json")
        .body(Body::from(huge))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app(state())
        .oneshot(request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
