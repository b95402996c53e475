//! The HTTP routes: templates (admin), preferences and the delivery log (the caller's own).

use bazaar_events::Envelope;
use bazaar_events::auth::UserRegistered;
use bazaar_runtime::Identity;
use serde_json::json;

use crate::support::*;

const WELCOME: &str = "/notifications/templates/welcome";
const ORDER: &str = "/notifications/templates/order_confirmation";

type Response = lambda_http::Response<lambda_http::Body>;

async fn get_template(app: &TestApp, path: &str, who: Option<&Identity>) -> Response {
    let req = request("GET", path, None, None, who);
    notifications_templates_get::handler(&deps!(app, notifications_templates_get), req).await
}

async fn put_template(app: &TestApp, path: &str, body: Option<&str>, who: Option<&Identity>) -> Response {
    let req = request("PUT", path, None, body, who);
    notifications_templates_put::handler(&deps!(app, notifications_templates_put), req).await
}

async fn get_preferences(app: &TestApp, who: Option<&Identity>) -> Response {
    let req = request("GET", "/notifications/preferences", None, None, who);
    notifications_preferences_get::handler(&deps!(app, notifications_preferences_get), req).await
}

async fn put_preferences(app: &TestApp, body: &str, who: &Identity) -> Response {
    let req = request("PUT", "/notifications/preferences", None, Some(body), Some(who));
    notifications_preferences_put::handler(&deps!(app, notifications_preferences_put), req).await
}

/// Asserts `r` is a 200; returns its body.
fn ok_body(r: &Response) -> serde_json::Value {
    assert_eq!(r.status(), 200, "{}", text(r));
    body_json(r)
}

#[tokio::test]
async fn templates_are_read_as_default_until_a_custom_one_is_put() {
    let app = TestApp::spawn().await;
    let admin = admin();
    let body = ok_body(&get_template(&app, ORDER, Some(&admin)).await);
    assert_eq!(body["source"], "default");
    assert_eq!(body["name"], "order_confirmation");
    assert_eq!(body["subject"], "Your Bazaar order {{ order_id }} is confirmed");

    let custom = json!({ "subject": "Hello {{ email }}", "text": "t", "html": "<p>{{ email }}</p>", "sms": "s" });
    let put = ok_body(&put_template(&app, ORDER, Some(&custom.to_string()), Some(&admin)).await);
    assert_eq!(put["source"], "custom");
    let body = body_json(&get_template(&app, ORDER, Some(&admin)).await);
    assert_eq!(body["source"], "custom");
    assert_eq!(body["subject"], "Hello {{ email }}");
    assert_eq!(body["html"], "<p>{{ email }}</p>");
    // Other templates keep their default.
    let other = body_json(&get_template(&app, WELCOME, Some(&admin)).await);
    assert_eq!(other["source"], "default");
}

#[tokio::test]
async fn templates_need_the_permission_and_a_known_name() {
    let app = TestApp::spawn().await;
    let customer = customer("u-1", &unique_email());
    assert_problem(&get_template(&app, WELCOME, Some(&customer)).await, 403);
    assert_problem(&get_template(&app, WELCOME, None).await, 401);
    assert_problem(&get_template(&app, "/notifications/templates/newsletter", Some(&admin())).await, 404);
    let body = json!({ "subject": "s", "text": "t" }).to_string();
    assert_problem(&put_template(&app, WELCOME, Some(&body), Some(&customer)).await, 403);
    assert_problem(&put_template(&app, "/notifications/templates/newsletter", Some(&body), Some(&admin())).await, 404);
}

#[tokio::test]
async fn a_bad_template_body_is_refused_with_a_4xx() {
    let app = TestApp::spawn().await;
    let admin = admin();
    let unknown_field = json!({ "subject": "s", "text": "t", "from": "x@y.z" }).to_string();
    for body in ["{\"subject\": ", "{\"subject\": \"s\"}", &unknown_field] {
        assert_problem(&put_template(&app, WELCOME, Some(body), Some(&admin)).await, 400);
    }
    // No content type: 415.
    let mut req = request("PUT", WELCOME, None, Some("{}"), Some(&admin));
    req.headers_mut().remove("content-type");
    assert_problem(&notifications_templates_put::handler(&deps!(app, notifications_templates_put), req).await, 415);

    let syntax = json!({ "subject": "Hi {{ email", "text": "t" });
    let undefined = json!({ "subject": "s", "text": "{{ reset_url }}" });
    for (body, field) in [(syntax, "subject"), (undefined, "text")] {
        let r = put_template(&app, WELCOME, Some(&body.to_string()), Some(&admin)).await;
        assert_problem(&r, 422);
        assert_eq!(body_json(&r)["errors"][0]["field"], field, "{body}");
    }
    // Nothing was stored.
    assert_eq!(body_json(&get_template(&app, WELCOME, Some(&admin)).await)["source"], "default");
}

#[tokio::test]
async fn preferences_default_to_email_only_and_are_the_callers_own() {
    let app = TestApp::spawn().await;
    let ana = customer(&uuid::Uuid::new_v4().to_string(), &unique_email());
    let bob = customer(&uuid::Uuid::new_v4().to_string(), &unique_email());
    let defaults = ok_body(&get_preferences(&app, Some(&ana)).await);
    assert_eq!(defaults, json!({ "email": true, "sms": false, "phone_number": null, "phone_verified": false }));

    let phone = unique_phone();
    app.set_preferences(&ana, json!({ "email": false, "sms": true, "phone_number": phone })).await;
    let anas = body_json(&get_preferences(&app, Some(&ana)).await);
    assert_eq!(anas, json!({ "email": false, "sms": true, "phone_number": phone, "phone_verified": false }));
    assert_eq!(body_json(&get_preferences(&app, Some(&bob)).await)["sms"], false, "bob is unaffected");
    assert_problem(&get_preferences(&app, None).await, 401);
}

#[tokio::test]
async fn sms_preferences_need_an_e164_number() {
    let app = TestApp::spawn().await;
    let ana = customer("u-ana", &unique_email());
    for body in [
        json!({ "email": true, "sms": true }),
        json!({ "email": true, "sms": true, "phone_number": "0151 1234567" }),
        json!({ "email": true, "sms": false, "phone_number": "+0123456789" }),
    ] {
        let r = put_preferences(&app, &body.to_string(), &ana).await;
        assert_problem(&r, 422);
        assert_eq!(body_json(&r)["errors"][0]["field"], "phone_number", "{body}");
    }
    let extra = json!({ "email": true, "sms": false, "push": true }).to_string();
    for body in ["{\"email\": tru", "{\"email\": true}", &extra] {
        assert_problem(&put_preferences(&app, body, &ana).await, 400);
    }
}

#[tokio::test]
async fn the_delivery_log_is_the_callers_own_newest_first_and_paged() {
    let app = TestApp::spawn().await;
    let deps = deps!(app, notifications_on_event);
    let user_id = uuid::Uuid::new_v4().to_string();
    let email = unique_email();
    let me = customer(&user_id, &email);
    let start = chrono::Utc::now() - chrono::Duration::minutes(10);
    let bodies: Vec<String> = (0..3)
        .map(|i| {
            let data =
                UserRegistered { user_id: user_id.clone(), email: email.clone(), roles: vec![], verification: None };
            delivered_body(&Envelope::at(data, "corr", start + chrono::Duration::minutes(i)))
        })
        .collect();
    assert!(app.deliver(&deps, &batch(&bodies)).await.is_empty());

    let list = deps!(app, notifications_list);
    let page = |cursor: Option<&str>, who: &Identity| {
        let req = match cursor {
            Some(c) => request("GET", "/notifications", Some(("cursor", c)), None, Some(who)),
            None => request("GET", "/notifications", Some(("limit", "2")), None, Some(who)),
        };
        notifications_list::handler(&list, req)
    };
    let first = ok_body(&page(None, &me).await);
    let items = first["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items[0]["sent_at"].is_string());
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = body_json(&page(Some(cursor), &me).await);
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["next_cursor"], serde_json::Value::Null);
    // Newest first: the oldest event comes last.
    let oldest =
        serde_json::from_str::<serde_json::Value>(&bodies[0]).expect("json")["detail"]["metadata"]["event_id"].clone();
    assert_eq!(second["items"][0]["event_id"], oldest);

    let other = customer("someone-else", &unique_email());
    let theirs = body_json(
        &notifications_list::handler(&list, request("GET", "/notifications", None, None, Some(&other))).await,
    );
    assert_eq!(theirs["items"], json!([]), "another user's log is invisible");
    assert_problem(&page(Some(cursor), &other).await, 400);
    assert_problem(&page(Some("tampered"), &me).await, 400);
    let bad_limit = request("GET", "/notifications", Some(("limit", "0")), None, Some(&me));
    assert_problem(&notifications_list::handler(&list, bad_limit).await, 400);
    assert_problem(&notifications_list::handler(&list, request("GET", "/notifications", None, None, None)).await, 401);
}

const RESET: &str = "/notifications/templates/password_reset";

#[tokio::test]
async fn a_security_template_needs_its_own_permission() {
    let app = TestApp::spawn().await;
    let editor = template_editor();
    let reset = json!({ "subject": "Reset", "text": "Open {{ reset_url }}" }).to_string();
    let verification = json!({ "subject": "Verify", "text": "Open {{ verification_url }}" }).to_string();
    let welcome = json!({
        "subject": "Hi",
        "text": "Hello {{ email }}{% if verification_url is defined %}, confirm: {{ verification_url }}{% endif %}",
    })
    .to_string();
    let security =
        [(RESET, &reset), ("/notifications/templates/email_verification", &verification), (WELCOME, &welcome)];
    for (path, body) in security {
        assert_problem(&put_template(&app, path, Some(body), Some(&editor)).await, 403);
        assert_eq!(body_json(&get_template(&app, path, Some(&admin())).await)["source"], "default", "{path}");
    }
    // The editor still changes the other templates; an admin changes the security ones.
    let order = json!({ "subject": "Hi", "text": "Order {{ order_id }}" }).to_string();
    assert_eq!(put_template(&app, ORDER, Some(&order), Some(&editor)).await.status(), 200);
    for (path, body) in security {
        let r = put_template(&app, path, Some(body), Some(&admin())).await;
        assert_eq!(r.status(), 200, "{path}: {}", text(&r));
    }
}

#[tokio::test]
async fn a_security_template_whose_links_leave_the_reset_page_is_refused() {
    let app = TestApp::spawn().await;
    let page = deps!(app, notifications_templates_put).pages.password_reset;
    for (text, html) in [
        ("Open https://evil.example/steal?{{ reset_url }}", None),
        ("Open //evil.example/{{ reset_url }}", None),
        ("Open {{ reset_url }}", Some("<a href=\"https://evil.example/?t={{ reset_url }}\">Reset</a>")),
        ("Open {{ reset_url }}", Some("<img src=\"//evil.example/pixel\">")),
        ("Open {{ reset_url | replace('127.0.0.1:3000', 'evil.example') }}", None),
        ("Ask us for a new password.", None),
    ] {
        let mut body = json!({ "subject": "Reset", "text": text });
        if let Some(html) = html {
            body["html"] = json!(html);
        }
        let r = put_template(&app, RESET, Some(&body.to_string()), Some(&admin())).await;
        assert_problem(&r, 422);
        assert_eq!(body_json(&r)["errors"][0]["field"], if html.is_some() { "html" } else { "text" }, "{body}");
    }
    assert_eq!(body_json(&get_template(&app, RESET, Some(&admin())).await)["source"], "default");
    let fine =
        json!({ "subject": "Reset", "text": "Open {{ reset_url }}", "html": "<a href=\"{{ reset_url }}\">x</a>" });
    let r = put_template(&app, RESET, Some(&fine.to_string()), Some(&admin())).await;
    assert_eq!(r.status(), 200, "{} (page {page})", text(&r));
}

#[tokio::test]
async fn a_template_that_runs_too_long_or_renders_too_much_is_refused() {
    let app = TestApp::spawn().await;
    for (body, field) in [
        (json!({ "subject": "s", "text": RUNAWAY }), "text"),
        (json!({ "subject": "s", "text": "t", "html": "{{ 'x' * 1000000 }}" }), "html"),
    ] {
        let r = put_template(&app, WELCOME, Some(&body.to_string()), Some(&admin())).await;
        assert_problem(&r, 422);
        assert_eq!(body_json(&r)["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(body_json(&get_template(&app, WELCOME, Some(&admin())).await)["source"], "default");
}
