//! The HTTP routes: templates (admin), preferences and the delivery log (the caller's own).

use bazaar_events::Envelope;
use bazaar_events::auth::UserRegistered;
use serde_json::json;

use crate::support::*;

const WELCOME: &str = "/notifications/templates/welcome";

async fn get_template(
    app: &TestApp,
    path: &str,
    who: Option<&bazaar_runtime::Identity>,
) -> lambda_http::Response<lambda_http::Body> {
    notifications_templates_get::handler(
        &deps!(app, notifications_templates_get),
        request("GET", path, None, None, who),
    )
    .await
}

async fn put_template(
    app: &TestApp,
    path: &str,
    body: Option<&str>,
    who: Option<&bazaar_runtime::Identity>,
) -> lambda_http::Response<lambda_http::Body> {
    notifications_templates_put::handler(
        &deps!(app, notifications_templates_put),
        request("PUT", path, None, body, who),
    )
    .await
}

#[tokio::test]
async fn templates_are_read_as_default_until_a_custom_one_is_put() {
    let app = TestApp::spawn().await;
    let admin = admin();
    let r = get_template(&app, WELCOME, Some(&admin)).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    let body = body_json(&r);
    assert_eq!(body["source"], "default");
    assert_eq!(body["name"], "welcome");
    assert_eq!(body["subject"], "Welcome to Bazaar");

    let custom = json!({ "subject": "Hello {{ email }}", "text": "t", "html": "<p>{{ email }}</p>", "sms": "s" });
    let r = put_template(&app, WELCOME, Some(&custom.to_string()), Some(&admin)).await;
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert_eq!(body_json(&r)["source"], "custom");
    let body = body_json(&get_template(&app, WELCOME, Some(&admin)).await);
    assert_eq!(body["source"], "custom");
    assert_eq!(body["subject"], "Hello {{ email }}");
    assert_eq!(body["html"], "<p>{{ email }}</p>");
    // Other templates keep their default.
    let other = body_json(&get_template(&app, "/notifications/templates/order_cancelled", Some(&admin)).await);
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
    assert_problem(&put_template(&app, WELCOME, Some("{\"subject\": "), Some(&admin)).await, 400);
    assert_problem(&put_template(&app, WELCOME, Some("{\"subject\": \"s\"}"), Some(&admin)).await, 400);
    let unknown_field = json!({ "subject": "s", "text": "t", "from": "x@y.z" }).to_string();
    assert_problem(&put_template(&app, WELCOME, Some(&unknown_field), Some(&admin)).await, 400);
    // No content type: 415.
    let mut req = request("PUT", WELCOME, None, Some("{}"), Some(&admin));
    req.headers_mut().remove("content-type");
    assert_problem(&notifications_templates_put::handler(&deps!(app, notifications_templates_put), req).await, 415);

    let syntax = json!({ "subject": "Hi {{ email", "text": "t" }).to_string();
    let r = put_template(&app, WELCOME, Some(&syntax), Some(&admin)).await;
    assert_problem(&r, 422);
    assert_eq!(body_json(&r)["errors"][0]["field"], "subject");
    let undefined = json!({ "subject": "s", "text": "{{ reset_url }}" }).to_string();
    let r = put_template(&app, WELCOME, Some(&undefined), Some(&admin)).await;
    assert_problem(&r, 422);
    assert_eq!(body_json(&r)["errors"][0]["field"], "text");
    // Nothing was stored.
    assert_eq!(body_json(&get_template(&app, WELCOME, Some(&admin)).await)["source"], "default");
}

#[tokio::test]
async fn preferences_default_to_email_only_and_are_the_callers_own() {
    let app = TestApp::spawn().await;
    let ana = customer(&uuid::Uuid::new_v4().to_string(), &unique_email());
    let bob = customer(&uuid::Uuid::new_v4().to_string(), &unique_email());
    let get = |who: &bazaar_runtime::Identity| request("GET", "/notifications/preferences", None, None, Some(who));
    let r = notifications_preferences_get::handler(&deps!(app, notifications_preferences_get), get(&ana)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(&r), json!({ "email": true, "sms": false, "phone_number": null }));

    app.set_preferences(&ana, json!({ "email": false, "sms": true, "phone_number": "+4915112345678" })).await;
    let r = notifications_preferences_get::handler(&deps!(app, notifications_preferences_get), get(&ana)).await;
    assert_eq!(body_json(&r), json!({ "email": false, "sms": true, "phone_number": "+4915112345678" }));
    let r = notifications_preferences_get::handler(&deps!(app, notifications_preferences_get), get(&bob)).await;
    assert_eq!(body_json(&r)["sms"], false, "bob is unaffected");
    let anonymous = request("GET", "/notifications/preferences", None, None, None);
    assert_problem(
        &notifications_preferences_get::handler(&deps!(app, notifications_preferences_get), anonymous).await,
        401,
    );
}

#[tokio::test]
async fn sms_preferences_need_an_e164_number() {
    let app = TestApp::spawn().await;
    let ana = customer("u-ana", &unique_email());
    let put = |body: &str| request("PUT", "/notifications/preferences", None, Some(body), Some(&ana));
    let deps = deps!(app, notifications_preferences_put);
    for body in [
        json!({ "email": true, "sms": true }),
        json!({ "email": true, "sms": true, "phone_number": "0151 1234567" }),
        json!({ "email": true, "sms": false, "phone_number": "+0123456789" }),
    ] {
        let r = notifications_preferences_put::handler(&deps, put(&body.to_string())).await;
        assert_problem(&r, 422);
        assert_eq!(body_json(&r)["errors"][0]["field"], "phone_number", "{body}");
    }
    assert_problem(&notifications_preferences_put::handler(&deps, put("{\"email\": tru")).await, 400);
    assert_problem(&notifications_preferences_put::handler(&deps, put("{\"email\": true}")).await, 400);
    let extra = json!({ "email": true, "sms": false, "push": true }).to_string();
    assert_problem(&notifications_preferences_put::handler(&deps, put(&extra)).await, 400);
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
            let data = UserRegistered { user_id: user_id.clone(), email: email.clone(), roles: vec![] };
            delivered_body(&Envelope::at(data, "corr", start + chrono::Duration::minutes(i)))
        })
        .collect();
    assert!(app.deliver(&deps, &batch(&bodies)).await.is_empty());

    let list = deps!(app, notifications_list);
    let page = |cursor: Option<&str>, who: &bazaar_runtime::Identity| {
        let req = match cursor {
            Some(c) => request("GET", "/notifications", Some(("cursor", c)), None, Some(who)),
            None => request("GET", "/notifications", Some(("limit", "2")), None, Some(who)),
        };
        notifications_list::handler(&list, req)
    };
    let first = page(None, &me).await;
    assert_eq!(first.status(), 200, "{}", text(&first));
    let first = body_json(&first);
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
