//! Shared setup for the API's black-box tests: a world with an operator token, the server on
//! 127.0.0.1:0, and a small client.

#![allow(clippy::unwrap_used)]

use eider_tests::harness::World;
use reqwest::{Client, Method, Response};
use serde_json::Value;

pub const OP: &str = "operator-test-token-0123456789";

pub struct Api {
    pub world: World,
    pub base: String,
    pub http: Client,
}

impl Api {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut eider_common::config::Config)) -> Self {
        let world = World::new(|c| {
            c.api.operator_tokens = vec![OP.into()];
            tweak(c);
        })
        .unwrap();
        // reqwest is built without a default crypto provider: the workspace's one (ring).
        eider_common::transport::install_crypto_provider();
        let addr = world.spawn(eider_api::run).await.unwrap();
        Self {
            world,
            base: format!("http://{addr}"),
            http: Client::new(),
        }
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.req(Method::GET, path, Some(token))
            .send()
            .await
            .unwrap()
    }

    pub async fn json(&self, method: Method, path: &str, token: &str, body: Value) -> Response {
        self.req(method, path, Some(token))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a user through the API; returns its id.
    pub async fn user(&self, name: &str, password: &str, addresses: &[&str]) -> String {
        let r = self
            .json(
                Method::POST,
                "/users",
                OP,
                serde_json::json!({"username": name, "password": password, "addresses": addresses}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Logs in; returns the token.
    pub async fn login(&self, name: &str, password: &str) -> String {
        let r = self
            .req(Method::POST, "/authenticate", None)
            .json(&serde_json::json!({"username": name, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The id of a user's mailbox by path.
    pub async fn mailbox(&self, user: &str, path: &str) -> String {
        let v: Value = self
            .get(&format!("/users/{user}/mailboxes"), OP)
            .await
            .json()
            .await
            .unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["path"] == path)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Uploads a raw message; returns its UID.
    pub async fn upload(&self, user: &str, mailbox: &str, raw: &[u8]) -> u64 {
        let r = self
            .req(
                Method::POST,
                &format!("/users/{user}/mailboxes/{mailbox}/messages"),
                Some(OP),
            )
            .header("content-type", "message/rfc822")
            .body(raw.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json::<Value>().await.unwrap()["uid"].as_u64().unwrap()
    }
}
