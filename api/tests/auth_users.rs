//! Auth, users, addresses, mailboxes and health over real HTTP, including every 4xx.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, OP};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn no_token_is_401_everywhere_and_health_is_public() {
    let api = Api::start().await;
    for (m, p) in eider_api::ROUTES {
        if matches!(*p, "/authenticate" | "/health" | "/openapi.json") {
            continue;
        }
        let path = p
            .replace("{user}", "1")
            .replace("{mailbox}", "1")
            .replace("{uid}", "1")
            .replace("{part}", "1")
            .replace("{address}", "a@b.example");
        let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        for token in [None, Some("wrong"), Some("")] {
            let r = api.req(method.clone(), &path, token).send().await.unwrap();
            assert_eq!(r.status(), 401, "{m} {path} with {token:?}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"], "unauthorized");
        }
    }
    // Unknown paths too: nothing is reachable without a token.
    let r = api.req(Method::GET, "/nope", None).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = api.get("/nope", OP).await;
    assert_eq!(r.status(), 404);
    let r = api.req(Method::GET, "/health", None).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["store"], true);
    let r = api
        .req(Method::GET, "/openapi.json", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let _: Value = r.json().await.unwrap();
}

#[tokio::test]
async fn without_operator_tokens_nothing_is_open() {
    let api = Api::start_with(|c| c.api.operator_tokens.clear()).await;
    let r = api.get("/users", "").await;
    assert_eq!(r.status(), 401);
    let r = api.get("/users", OP).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn authenticate_issues_expiring_revocable_tokens() {
    let api = Api::start().await;
    let id = api.user("alice", "secret", &["alice@example.org"]).await;
    let r = api
        .req(Method::POST, "/authenticate", None)
        .json(&json!({"username": "alice", "password": "secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["user"], id.as_str());
    assert!(v["expires"].as_i64().unwrap() > chrono_now());
    let token = v["token"].as_str().unwrap().to_owned();
    let me: Value = api.get("/users/me", &token).await.json().await.unwrap();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["id"], id.as_str());
    // Revocation.
    let r = api
        .req(Method::DELETE, "/authenticate", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(api.get("/users/me", &token).await.status(), 401);
    // Wrong password, unknown user, malformed bodies.
    for (body, status) in [
        (
            json!({"username": "alice", "password": "nope"}).to_string(),
            401,
        ),
        (json!({"username": "bob", "password": "x"}).to_string(), 401),
        ("{not json".to_owned(), 400),
        (json!({"username": "alice"}).to_string(), 400),
        (
            json!({"username": "alice", "password": "secret", "extra": 1}).to_string(),
            400,
        ),
    ] {
        let r = api
            .req(Method::POST, "/authenticate", None)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
    }
    let r = api
        .req(Method::POST, "/authenticate", None)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let api = Api::start_with(|c| c.api.token_lifetime_secs = 0).await;
    api.user("alice", "secret", &[]).await;
    let token = api.login("alice", "secret").await;
    assert_eq!(api.get("/users/me", &token).await.status(), 401);
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn roles_and_cross_user_access() {
    let api = Api::start().await;
    let alice = api.user("alice", "pw-a", &["alice@example.org"]).await;
    let bob = api.user("bob", "pw-b", &["bob@example.org"]).await;
    let ta = api.login("alice", "pw-a").await;
    let bob_inbox = api.mailbox(&bob, "INBOX").await;
    // Alice on Bob's resources: 403 on every route naming Bob.
    for (m, p) in eider_api::ROUTES {
        if !p.starts_with("/users/{user}") {
            continue;
        }
        let path = p
            .replace("{user}", &bob)
            .replace("{mailbox}", &bob_inbox)
            .replace("{uid}", "1")
            .replace("{part}", "1")
            .replace("{address}", "bob@example.org");
        let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        let r = api
            .req(method, &path, Some(&ta))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{m} {path}");
    }
    // Operator-only routes.
    assert_eq!(api.get("/users", &ta).await.status(), 403);
    let r = api
        .json(
            Method::POST,
            "/users",
            &ta,
            json!({"username": "x", "password": "y"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        api.get("/addresses/resolve/bob@example.org", &ta)
            .await
            .status(),
        403
    );
    let r = api
        .json(
            Method::POST,
            &format!("/users/{alice}/addresses"),
            &ta,
            json!({"address": "x@example.org"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        api.req(Method::DELETE, &format!("/users/{alice}"), Some(&ta))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // A user may not raise their own quota, but may change their password, given the current one.
    let r = api
        .json(Method::PUT, "/users/me", &ta, json!({"quota": 1}))
        .await;
    assert_eq!(r.status(), 403);
    let r = api
        .json(Method::PUT, "/users/me", &ta, json!({"password": "new"}))
        .await;
    assert_eq!(r.status(), 403);
    let body = json!({"password": "new", "current_password": "pw-a"});
    let r = api.json(Method::PUT, "/users/me", &ta, body).await;
    assert_eq!(r.status(), 200);
    // Changing the password revokes the user's tokens.
    assert_eq!(api.get("/users/me", &ta).await.status(), 401);
    let ta = api.login("alice", "new").await;
    assert_eq!(api.get(&format!("/users/{alice}"), &ta).await.status(), 200);
    // `me` with an operator token names nobody.
    assert_eq!(api.get("/users/me", OP).await.status(), 400);
    // Ids that do not exist or do not parse.
    assert_eq!(api.get("/users/999999", OP).await.status(), 404);
    assert_eq!(api.get("/users/abc", OP).await.status(), 404);
    assert_eq!(api.get("/users/abc", &ta).await.status(), 404);
}

#[tokio::test]
async fn users_crud_with_cursor_pagination() {
    let api = Api::start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(api.user(&format!("u{i}"), "pw", &[]).await);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/users?limit=3&cursor={c}"),
            None => "/users?limit=3".to_owned(),
        };
        let v: Value = api.get(&path, OP).await.json().await.unwrap();
        for u in v["items"].as_array().unwrap() {
            seen.push(u["id"].as_str().unwrap().to_owned());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    for bad in [
        "/users?cursor=zzz",
        "/users?limit=0",
        "/users?limit=5000",
        "/users?limit=x",
        "/users?bogus=1",
    ] {
        let r = api.get(bad, OP).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    // A cursor of another listing is refused.
    let mb_cursor_list: Value = api
        .get(&format!("/users/{}/mailboxes?limit=1", ids[0]), OP)
        .await
        .json()
        .await
        .unwrap();
    let foreign = mb_cursor_list["next_cursor"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/users?cursor={foreign}"), OP)
            .await
            .status(),
        400
    );
    // Update and delete.
    let r = api
        .json(
            Method::PUT,
            &format!("/users/{}", ids[0]),
            OP,
            json!({"quota": 12345, "spam_level": 10}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["quota"], 12345);
    let q: Value = api
        .get(&format!("/users/{}/quota", ids[0]), OP)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(q["limit"], 12345);
    assert_eq!(q["used"], 0);
    for (body, status) in [
        (json!({"quota": "x"}), 400),
        (json!({"nickname": "x"}), 400),
        (json!({"spam_level": 101}), 400),
        (json!({"password": ""}), 400),
    ] {
        let r = api
            .json(Method::PUT, &format!("/users/{}", ids[0]), OP, body.clone())
            .await;
        assert_eq!(r.status(), status, "{body}");
    }
    let r = api
        .req(Method::DELETE, &format!("/users/{}", ids[0]), Some(OP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        api.get(&format!("/users/{}", ids[0]), OP).await.status(),
        404
    );
    let r = api
        .req(Method::DELETE, &format!("/users/{}", ids[0]), Some(OP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Duplicates and bad creations.
    for (body, status) in [
        (json!({"username": "u1", "password": "pw"}), 409),
        (json!({"username": "", "password": "pw"}), 400),
        (json!({"username": "n"}), 400),
        (
            json!({"username": "n", "password": "p", "addresses": ["not an address"]}),
            400,
        ),
        (
            json!({"username": "n", "password": "p", "admin": true}),
            400,
        ),
    ] {
        let r = api.json(Method::POST, "/users", OP, body.clone()).await;
        assert_eq!(r.status(), status, "{body}");
    }
    // Oversized JSON.
    let big = json!({"username": "n", "password": "x".repeat(2 * 1024 * 1024)});
    assert_eq!(
        api.json(Method::POST, "/users", OP, big).await.status(),
        413
    );
}

#[tokio::test]
async fn addresses_and_resolution() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &["alice@example.org"]).await;
    let r = api
        .json(
            Method::POST,
            &format!("/users/{a}/addresses"),
            OP,
            json!({"address": "Al@Example.org", "display": "Al"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = api
        .json(
            Method::POST,
            &format!("/users/{a}/addresses"),
            OP,
            json!({"address": "al@example.org"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let r = api
        .json(
            Method::POST,
            &format!("/users/{a}/addresses"),
            OP,
            json!({"address": "nope"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let v: Value = api
        .get(&format!("/users/{a}/addresses"), OP)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        api.get(&format!("/users/{a}/addresses/al@example.org"), OP)
            .await
            .status(),
        200
    );
    // Resolution follows delivery rules: plus tags resolve to the base address.
    let v: Value = api
        .get("/addresses/resolve/alice+news@example.org", OP)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["user"], a.as_str());
    assert_eq!(
        api.get("/addresses/resolve/nobody@example.org", OP)
            .await
            .status(),
        404
    );
    assert_eq!(
        api.get("/addresses/resolve/garbage", OP).await.status(),
        400
    );
    let r = api
        .req(
            Method::DELETE,
            &format!("/users/{a}/addresses/al@example.org"),
            Some(OP),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = api
        .req(
            Method::DELETE,
            &format!("/users/{a}/addresses/al@example.org"),
            Some(OP),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn mailboxes_crud() {
    let api = Api::start().await;
    let a = api.user("alice", "pw", &[]).await;
    let t = api.login("alice", "pw").await;
    let r = api
        .json(
            Method::POST,
            "/users/me/mailboxes",
            &t,
            json!({"path": "Work"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let work: Value = r.json().await.unwrap();
    let wid = work["id"].as_str().unwrap();
    for (body, status) in [
        (json!({"path": "Work"}), 409),
        (json!({"path": ""}), 400),
        (json!({"path": "X", "special_use": "\\Bogus"}), 400),
        (json!({"name": "X"}), 400),
    ] {
        let r = api
            .json(Method::POST, "/users/me/mailboxes", &t, body.clone())
            .await;
        assert_eq!(r.status(), status, "{body}");
    }
    let r = api
        .json(
            Method::PUT,
            &format!("/users/{a}/mailboxes/{wid}"),
            &t,
            json!({"path": "Job", "subscribed": false, "retention_days": 30}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["path"], "Job");
    assert_eq!(v["subscribed"], false);
    assert_eq!(v["retention_days"], 30);
    // Paging through the default mailboxes plus ours.
    let mut paths = Vec::new();
    let mut cursor = String::new();
    loop {
        let v: Value = api
            .get(&format!("/users/me/mailboxes?limit=2{cursor}"), &t)
            .await
            .json()
            .await
            .unwrap();
        for m in v["items"].as_array().unwrap() {
            paths.push(m["path"].as_str().unwrap().to_owned());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert!(paths.contains(&"INBOX".to_owned()) && paths.contains(&"Job".to_owned()));
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    let inbox = api.mailbox(&a, "INBOX").await;
    let r = api
        .req(
            Method::DELETE,
            &format!("/users/me/mailboxes/{inbox}"),
            Some(&t),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = api
        .req(
            Method::DELETE,
            &format!("/users/me/mailboxes/{wid}"),
            Some(&t),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        api.get(&format!("/users/me/mailboxes/{wid}"), &t)
            .await
            .status(),
        404
    );
    assert_eq!(api.get("/users/me/mailboxes/xyz", &t).await.status(), 404);
}

#[tokio::test]
async fn metrics_are_prometheus_text_for_operators() {
    let api = Api::start().await;
    api.user("alice", "pw", &[]).await;
    let t = api.login("alice", "pw").await;
    assert_eq!(api.get("/users/999", OP).await.status(), 404);
    assert_eq!(api.get("/metrics", &t).await.status(), 403);
    let r = api.get("/metrics", OP).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().await.unwrap();
    let samples = eider_runtime::metrics::check::parse(&text).unwrap();
    // Responses by status class (the label holds the full code).
    let count = |class: char| -> f64 {
        samples
            .iter()
            .filter(|s| s.name == "eider_api_requests_total")
            .filter(|s| s.labels["status"].starts_with(class))
            .map(|s| s.value)
            .sum()
    };
    assert!(count('2') >= 2.0, "{text}");
    assert!(count('4') >= 2.0, "{text}");
    assert!(
        text.contains("# TYPE eider_store_commits_total counter"),
        "{text}"
    );
}

#[tokio::test]
async fn health_checks_redis_when_configured() {
    use eider_tests::redis_cluster::RedisCluster;
    use eider_tests::redis_server::RedisServer;
    let Some(redis) = RedisServer::start().expect("redis") else {
        return;
    };
    let Some(cluster) = RedisCluster::start().expect("redis cluster") else {
        return;
    };
    // A single server and a cluster (seed list) both answer.
    for url in [redis.url(), cluster.url()] {
        let api = Api::start_with(|c| c.redis.url = url.clone()).await;
        let r = api.req(Method::GET, "/health", None).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["redis"], "ok", "{url}");
    }
    // Nothing listening: 503, for either form.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for url in [
        format!("redis://127.0.0.1:{closed}"),
        format!("redis+cluster://127.0.0.1:{closed}"),
    ] {
        let api = Api::start_with(|c| c.redis.url = url.clone()).await;
        let r = api.req(Method::GET, "/health", None).send().await.unwrap();
        assert_eq!(r.status(), 503, "{url}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["redis"], "failing");
        assert_eq!(v["status"], "failing");
    }
}
